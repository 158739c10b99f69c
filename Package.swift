// swift-tools-version:6.1
import PackageDescription

// One target per layer (see docs/architecture.md). The pure core — Workflow,
// AuditLog, CaseEngine — knows nothing of sockets or SQL.
let package = Package(
    name: "atmp-tracker",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "atmpctl", targets: ["atmpctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Template model, YAML loader with line/column, validator, graph export.
        .target(name: "Workflow", dependencies: [.product(name: "Yams", package: "Yams")]),
        // Audit events, RFC 8785 canonical JSON, SHA-256 hash chains.
        .target(name: "AuditLog", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // Case state and the pure decide/evolve functions.
        .target(name: "CaseEngine", dependencies: ["Workflow", "AuditLog"]),
        // Wire format of the control protocol: request parser, reply encoder and
        // parser, line framing, data blocks. Pure Swift, no dependencies.
        .target(name: "ControlProtocol"),

        // Storage drivers (see docs/storage-drivers.md): C modules for the
        // client libraries, and thin synchronous Swift wrappers over them.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "PostgresClient", dependencies: [
            "CLibPQ",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "SQLiteClient", dependencies: ["CSQLite"]),
        // The Store protocol and its SQL implementation for both databases (see docs/storage.md).
        .target(name: "Storage", dependencies: [
            "AuditLog", "CaseEngine", "Workflow", "PostgresClient", "SQLiteClient",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        // For tests of the server, only test targets use it: a blocking socket
        // client, and a real atmpd process started and always stopped (AtmpdProcess).
        .target(name: "SocketTestSupport"),
        // A throwaway PostgreSQL server for tests; only test targets use it.
        .target(name: "PostgresTestSupport", dependencies: ["PostgresClient", "CLibPQ"]),

        // The daemon as a library: the command service (requests to replies)
        // and the SwiftNIO server around it.
        .target(name: "Daemon", dependencies: [
            "ControlProtocol", "Storage", "CaseEngine", "Workflow", "AuditLog",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            // The optional /metrics endpoint: Prometheus' text format over a minimal HTTP/1.1 server.
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .executableTarget(name: "atmpd", dependencies: [
            "Daemon", "Storage",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // The client side of the control protocol for atmpctl: a blocking
        // connection over POSIX sockets, typed commands, rendering, the shell's
        // line editor, and the load generator behind `atmpctl bench`.
        .target(name: "ATMPClient", dependencies: [
            "ControlProtocol", "AuditLog",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
            // TLS for --tls: a small blocking adapter over a NIO channel (TLSTransport.swift).
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // A scripted stand-in for atmpd on a temporary Unix socket; only tests use it.
        .target(name: "FakeControlServer"),
        .executableTarget(name: "atmpctl", dependencies: [
            "Workflow", "AuditLog", "CaseEngine", "ATMPClient", "ControlProtocol",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The core benchmark (not a test): swift run -c release atmp-bench
        .executableTarget(name: "atmp-bench", dependencies: ["Workflow", "AuditLog", "CaseEngine", "ControlProtocol"]),
        // Scale data (see docs/scale.md): the generator as a library, so tests
        // can run it, and its command line: swift run -c release atmp-datagen --help
        .target(name: "DataGenerator", dependencies: [
            "AuditLog", "CaseEngine", "Workflow", "Storage", "PostgresClient",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .executableTarget(name: "atmp-datagen", dependencies: [
            "DataGenerator", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "WorkflowTests", dependencies: ["Workflow"]),
        .testTarget(name: "AuditLogTests", dependencies: ["AuditLog"]),
        .testTarget(name: "ControlProtocolTests", dependencies: [
            "ControlProtocol",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "CaseEngineTests", dependencies: [
            "CaseEngine", "Workflow", "AuditLog",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "PostgresClientTests", dependencies: ["PostgresClient", "PostgresTestSupport"]),
        .testTarget(name: "SQLiteClientTests", dependencies: ["SQLiteClient"]),
        .testTarget(name: "DataGeneratorTests", dependencies: [
            "DataGenerator", "Storage", "AuditLog", "CaseEngine", "PostgresClient", "PostgresTestSupport",
        ]),
        .testTarget(name: "StorageTests", dependencies: [
            "Storage", "AuditLog", "CaseEngine", "Workflow", "PostgresClient", "SQLiteClient", "PostgresTestSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "DaemonTests", dependencies: [
            "SocketTestSupport",
            "Daemon", "Storage", "ControlProtocol", "CaseEngine", "AuditLog", "Workflow", "PostgresTestSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // Runs the built atmpd binary as an operator would: migrate, user add, serve, signals.
        .testTarget(name: "atmpdTests", dependencies: [
            "SocketTestSupport",
            "atmpd", "ControlProtocol", "PostgresTestSupport", "Storage", "AuditLog",
            .product(name: "Yams", package: "Yams"),
        ]),
        // A real atmpd process driven through its socket (see docs/protocol.md).
        .testTarget(name: "EndToEndTests", dependencies: [
            "atmpd", "atmpctl", "ControlProtocol", "Workflow", "AuditLog", "PostgresClient", "SQLiteClient",
            "PostgresTestSupport", "SocketTestSupport",
        ]),
        .testTarget(name: "ATMPClientTests", dependencies: ["ATMPClient", "ControlProtocol", "AuditLog", "FakeControlServer"]),
        // Runs the built atmpctl binary as a user would (and, for bench, against a real atmpd).
        .testTarget(name: "atmpctlTests", dependencies: [
            "SocketTestSupport", "atmpctl", "atmpd", "AuditLog", "ControlProtocol", "FakeControlServer",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
