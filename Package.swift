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

        .executableTarget(name: "atmpctl", dependencies: [
            "Workflow", "AuditLog", "CaseEngine",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
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
    ],
    swiftLanguageModes: [.v6]
)
