import SocketTestSupport
import AuditLog
import Foundation
import Logging
import NIOPosix
import PostgresTestSupport
import ServiceLifecycle
import Storage
@testable import Daemon

/// A ControlServer on a temporary socket, against a real store (SQLite unless
/// told otherwise) and the command service, run in a ServiceGroup as atmpd runs it.
struct TestServer {
    let server: ControlServer
    let service: CommandService
    let group: ServiceGroup
    let run: Task<Void, any Error>
    let directory: String
    let store: SQLStore

    var socketPath: String { server.configuration.socketPath! }
    var hub: EventHub { service.hub }

    static func start(
        postgres: Bool = false,
        commitSpin: Duration? = nil,
        _ configure: (inout ServerConfiguration) -> Void = { _ in },
        prepareSession: @escaping @Sendable (inout Session) -> Void = { _ in }
    ) async throws -> TestServer {
        // Short: Unix socket paths are limited to about 100 bytes.
        let directory = "/tmp/atmpd-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "atmp.test.server")
        logger.logLevel = .critical
        let store = postgres
            ? try await PostgresStore.open(
                connectionString: try PostgresTestCluster.shared.createDatabase(prefix: "atmp_server"), commitSpin: commitSpin,
                logger: logger)
            : try await SQLiteStore.open(path: directory + "/atmp.db", logger: logger)
        _ = try await store.migrate()
        let service = CommandService(store: store, configuration: ServiceConfiguration(), hub: EventHub(), logger: logger)
        var configuration = ServerConfiguration(socketPath: directory + "/atmpd.sock")
        configure(&configuration)
        let (listening, signal) = AsyncStream.makeStream(of: Void.self)
        let server = ControlServer(
            configuration: configuration, service: service, group: MultiThreadedEventLoopGroup.singleton, logger: logger,
            prepareSession: prepareSession, onListening: { _ in signal.yield(); signal.finish() })
        let group = ServiceGroup(services: [server], logger: logger)
        // The stream also ends when the run does, so a server that fails to start is not waited for.
        let run = Task {
            defer { signal.finish() }
            try await group.run()
        }
        // Wait for the socket (or for the server to fail starting).
        let started = await withTaskGroup(of: Bool.self) { waiters in
            waiters.addTask { for await _ in listening { return true }; return false }
            waiters.addTask { try? await Task.sleep(for: .seconds(20)); return false }
            let first = await waiters.next() ?? false
            waiters.cancelAll()
            return first
        }
        guard started else {
            run.cancel()
            await store.close()
            if case .failure(let error) = await run.result { throw error }
            throw ClientError("server did not start listening")
        }
        return TestServer(server: server, service: service, group: group, run: run, directory: directory, store: store)
    }

    func connect() throws -> TestClient { try TestClient(unixSocket: socketPath) }

    /// Connects and reads the greeting.
    func connectGreeted() async throws -> TestClient {
        let client = try connect()
        let greeting = try await client.readLine()
        guard greeting?.hasPrefix("220 ") == true else { throw ClientError("no greeting but \(String(describing: greeting))") }
        return client
    }

    /// Graceful shutdown, as on SIGTERM; throws if the server does not stop within `seconds`.
    func stop(within seconds: Int = 20) async throws {
        await group.triggerGracefulShutdown()
        try await finished(within: seconds)
        await store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func finished(within seconds: Int) async throws {
        let run = self.run
        let done = await withTaskGroup(of: Bool.self) { waiters in
            waiters.addTask { _ = try? await run.value; return true }
            waiters.addTask { try? await Task.sleep(for: .seconds(seconds)); return false }
            let first = await waiters.next() ?? false
            waiters.cancelAll()
            return first
        }
        if !done {
            run.cancel()
            throw ClientError("server did not stop within \(seconds) s")
        }
    }
}

/// Polls `condition` until it holds or `seconds` pass; for states with no event to await.
func eventually(within seconds: Int = 10, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

func event(_ seq: Int64, chain: String = "C-000001") -> EventHub.Published {
    EventHub.Published(
        event: AuditEvent(chain: chain, seq: seq, at: Timestamp(microseconds: 0), actor: "alice", role: "qp",
                          action: "case.noted", data: [:], prev: AuditEvent.genesisPrev,
                          hash: String(repeating: "a", count: 64)),
        template: "aav", state: "preclinical")
}
