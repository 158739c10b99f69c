import SocketTestSupport
import Foundation
import Testing
@testable import Daemon

#if canImport(Glibc)
import Glibc
#endif

/// Limits, timeouts, shutdown and the socket file.
@Suite("Control server: limits and lifecycle")
struct ConnectionLimitTests {
    @Test func connectionsOverTheLimitAreTurnedAway() async throws {
        let server = try await TestServer.start { $0.maxConnections = 2 }
        var first: TestClient? = try await server.connectGreeted()
        let second = try await server.connectGreeted()
        let third = try server.connect()
        let refused = try await third.readToEnd()
        #expect(refused.count == 1)
        #expect(refused.first?.hasPrefix("452 too-busy ") == true)
        // A freed place can be taken again.
        try await first!.send("QUIT\n")
        _ = try await first!.readToEnd()
        first = nil
        #expect(await eventually { server.server.connectionCount == 1 })
        let fourth = try server.connect()
        #expect(try await fourth.readLine()?.hasPrefix("220 ") == true)
        try await second.send("PING\n")
        #expect(try await second.readFinal() == "250 OK pong")
        // STATS counts them: two open now, three accepted, one refused.
        #expect(await eventually { server.service.metrics.stats(sampling: .init()).connections == 2 })
        let stats = server.service.metrics.stats(sampling: .init())
        #expect(stats.connectionsAccepted == 3)
        #expect(stats.connectionsRefused == 1)
        try await server.stop()
    }

    @Test func idleConnectionIsClosed() async throws {
        let server = try await TestServer.start {
            $0.idleTimeout = .milliseconds(300)
            $0.watchdogInterval = .milliseconds(50)
        }
        let client = try await server.connectGreeted()
        let lines = try await client.readToEnd()
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("421 idle-timeout ") == true)
        try await server.stop()
    }

    @Test func gracefulShutdownSays421ToEveryConnectionAndReturns() async throws {
        let server = try await TestServer.start()
        let a = try await server.connectGreeted()
        let b = try await server.connectGreeted()
        try await a.send("PING\n")
        #expect(try await a.readFinal() == "250 OK pong")
        let stopping = Task { try await server.stop() }
        for client in [a, b] {
            let lines = try await client.readToEnd()
            #expect(lines.count == 1)
            #expect(lines.first?.hasPrefix("421 shutting-down ") == true)
        }
        try await stopping.value
        #expect(!FileManager.default.fileExists(atPath: server.socketPath), "the socket file is removed")
    }

    @Test func socketIsCreatedForOwnerAndGroupOnly() async throws {
        let server = try await TestServer.start()
        var info = stat()
        #expect(stat(server.socketPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o660)
        try await server.stop()
    }

    @Test func staleSocketFileIsReplaced() async throws {
        let directory = "/tmp/atmpd-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/stale.sock"
        // A socket file nobody listens on, as a crashed daemon leaves behind.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        #expect(bound == 0)
        #expect(FileManager.default.fileExists(atPath: path))
        let server = try await TestServer.start { $0.socketPath = path }
        _ = try await server.connectGreeted()
        try await server.stop()
    }

    @Test func refusesToStartWhereAnotherServerListens() async throws {
        let first = try await TestServer.start()
        let path = first.socketPath
        do {
            let second = try await TestServer.start { $0.socketPath = path }
            Issue.record("a second server started on \(path)")
            try await second.stop()
        } catch {}
        // The first server is untouched.
        _ = try await first.connectGreeted()
        try await first.stop()
    }

    @Test func refusesToReplaceAFileThatIsNotASocket() async throws {
        let directory = "/tmp/atmpd-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/not-a-socket"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: path))
        do {
            let second = try await TestServer.start { $0.socketPath = path }
            Issue.record("a second server started on \(path)")
            try await second.stop()
        } catch {}
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
    }
}
