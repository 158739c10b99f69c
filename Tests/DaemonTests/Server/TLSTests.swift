import AuditLog
import NIOCore
import NIOPosix
import NIOSSL
import SocketTestSupport
import Storage
import Testing
@testable import Daemon

/// TLS on the TCP listener: a real handshake against certificates made by
/// `openssl` for the test, and the rule that plain TCP is for loopback only.
@Suite("Control server: TLS")
struct TLSTests {
    static func tlsServer(_ certificates: TestCertificates) async throws -> TestServer {
        let tls = try ServerTLS(certificatePath: certificates.serverCertificate, keyPath: certificates.serverKey)
        let server = try await TestServer.start {
            $0.tcp = .init(host: "127.0.0.1", port: 0)
            $0.tls = tls
        }
        _ = try await server.store.addUser(
            StoredUser(name: "alice", roles: ["author"],
                       passwordHash: PasswordHash.make(password: "correct horse", cost: .testOnly)),
            by: "system", role: "system", at: Timestamp(seconds: 1_900_000_000))
        return server
    }

    @Test func aTLSClientIsGreetedAndCanPingAndSignIn() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try await Self.tlsServer(certificates)
        let port = try #require(server.server.boundTCPPort)
        let channel = try await TLSLineClient.connect(port: port, trusting: certificates.caCertificate)
        try await channel.executeThenClose { inbound, outbound in
            var lines = TLSLineClient.Lines(inbound.makeAsyncIterator())
            #expect(try await lines.next()?.hasPrefix("220 atmpd ") == true)
            try await outbound.write(ByteBuffer(string: "PING\r\n"))
            #expect(try await lines.next() == "250 OK pong")
            try await outbound.write(ByteBuffer(string: "AUTH user=alice password=\"correct horse\"\r\n"))
            #expect(try await lines.final().hasPrefix("250 "))
            try await outbound.write(ByteBuffer(string: "TEMPLATE LIST\r\n"))
            #expect(try await lines.final().hasPrefix("250 "))
        }
        try await server.stop()
    }

    @Test func aPlainClientOnTheTLSPortIsNotGreetedAndTheServerStaysUp() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try await Self.tlsServer(certificates)
        let port = try #require(server.server.boundTCPPort)
        let plain = try TestClient(loopbackPort: port)
        try await plain.send("PING\r\nAUTH user=alice password=\"correct horse\"\r\n")
        // The server answers the bytes with a TLS alert (no line) and closes: no greeting, no pong.
        let lines = try await plain.readToEnd()
        #expect(!lines.contains { $0.hasPrefix("220") || $0.hasPrefix("250") }, "\(lines)")
        // Still serving, over TLS and on the socket.
        let channel = try await TLSLineClient.connect(port: port, trusting: certificates.caCertificate)
        try await channel.executeThenClose { inbound, _ async throws in
            var lines = TLSLineClient.Lines(inbound.makeAsyncIterator())
            #expect(try await lines.next()?.hasPrefix("220 atmpd ") == true)
        }
        _ = try await server.connectGreeted()
        try await server.stop()
    }

    /// A connection that never starts its handshake is an idle connection: closed by the idle timeout.
    @Test func aSilentClientOnTheTLSPortIsClosedWhenIdle() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let tls = try ServerTLS(certificatePath: certificates.serverCertificate, keyPath: certificates.serverKey)
        let server = try await TestServer.start {
            $0.tcp = .init(host: "127.0.0.1", port: 0)
            $0.tls = tls
            $0.idleTimeout = .seconds(1)
            $0.watchdogInterval = .milliseconds(100)
        }
        let silent = try TestClient(loopbackPort: try #require(server.server.boundTCPPort))
        // Ends well within the client's 10 s receive timeout (readToEnd throws on a timeout).
        let lines = try await silent.readToEnd()
        #expect(!lines.contains { $0.hasPrefix("220") }, "\(lines)")
        #expect(await eventually { server.server.connectionCount == 0 })
        try await server.stop()
    }

    @Test func aClientThatDoesNotTrustTheCertificateFailsTheHandshake() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let tls = try ServerTLS(certificatePath: certificates.rogueCertificate, keyPath: certificates.rogueKey)
        let server = try await TestServer.start {
            $0.tcp = .init(host: "127.0.0.1", port: 0)
            $0.tls = tls
        }
        let port = try #require(server.server.boundTCPPort)
        await #expect(throws: (any Error).self) {
            let channel = try await TLSLineClient.connect(port: port, trusting: certificates.caCertificate)
            try await channel.executeThenClose { inbound, _ async throws in
                var lines = TLSLineClient.Lines(inbound.makeAsyncIterator())
                _ = try await lines.next()
            }
        }
        try await server.stop()
    }

    @Test func plainTCPOnANonLoopbackAddressIsRefusedAtStart() async throws {
        await #expect(throws: ControlServer.StartError.self) {
            _ = try await TestServer.start { $0.tcp = .init(host: "0.0.0.0", port: 0) }
        }
        let loopback = try await TestServer.start { $0.tcp = .init(host: "127.0.0.1", port: 0) }
        #expect(loopback.server.boundTCPPort != nil)
        try await loopback.stop()
    }

    @Test(arguments: [
        ("127.0.0.1", true), ("127.1.2.3", true), ("localhost", true), ("LOCALHOST", true), ("::1", true),
        ("::ffff:127.0.0.1", true), ("0.0.0.0", false), ("::", false), ("10.0.0.1", false), ("128.0.0.1", false),
        ("example.org", false), ("localhost.example.org", false), ("", false),
    ])
    func loopbackAddresses(host: String, loopback: Bool) {
        #expect(ServerConfiguration.TCPAddress(host: host, port: 1).isLoopback == loopback)
    }

    @Test func badCertificateOrKeyFilesAreRefusedWithAReason() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        func problem(_ certificate: String, _ key: String) -> String {
            do {
                _ = try ServerTLS(certificatePath: certificate, keyPath: key)
                return "loaded"
            } catch {
                return error.description
            }
        }
        #expect(problem(certificates.serverCertificate, certificates.serverKey) == "loaded")
        #expect(problem(certificates.directory + "/none.pem", certificates.serverKey).contains("cannot read TLS certificate"))
        #expect(problem(certificates.serverCertificate, certificates.directory + "/none.key").contains("cannot read TLS key"))
        #expect(problem(certificates.directory + "/server.ext", certificates.serverKey).contains("not a PEM certificate"))
        #expect(problem(certificates.serverCertificate, certificates.serverCertificate).contains("not a PEM private key"))
        #expect(problem(certificates.serverCertificate, certificates.rogueKey).contains("does not fit"))
    }
}

/// A TLS client over NIO for these tests: the async channel, and a line reader over its inbound bytes.
enum TLSLineClient {
    static func connect(port: Int, trusting caFile: String) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(caFile)
        let context = try NIOSSLContext(configuration: configuration)
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    struct Lines {
        var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var pending: [UInt8] = []
        init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) { self.iterator = iterator }

        /// The next line without CR LF; nil at end of stream.
        mutating func next() async throws -> String? {
            while true {
                if let lf = pending.firstIndex(of: 0x0A) {
                    var line = Array(pending[..<lf])
                    pending.removeSubrange(...lf)
                    if line.last == 0x0D { line.removeLast() }
                    return String(decoding: line, as: UTF8.self)
                }
                guard var buffer = try await iterator.next() else { return nil }
                pending += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        }

        /// The final line of the next reply (`CODE SP …`).
        mutating func final() async throws -> String {
            while let line = try await next() {
                let bytes = Array(line.utf8)
                if bytes.count >= 4 && bytes[3] == 0x20 { return line }
            }
            throw ClientError("connection closed in the middle of a reply")
        }
    }
}
