import CLibPQ
import Foundation
import PostgresClient

/// A real PostgreSQL server for tests.
///
/// If `ATMP_TEST_DATABASE_URL` is set, tests use that server (they need
/// the right to CREATE DATABASE there). Otherwise the first `start()`
/// creates a throwaway cluster with the server programs installed on this
/// machine — in a private temporary directory, reachable only through a
/// Unix socket in it — and it is stopped and deleted when the process exits.
/// When the tests run as root the server runs as the `postgres` user.
/// Missing server programs are an error naming the packages to install:
/// Postgres tests fail, they are never skipped.
///
/// Each test (or suite) asks for its own database with
/// `createDatabase(prefix:)`, so tests running in parallel do not see each
/// other's tables. Safe to use from many tasks at once: the cluster starts
/// once, under a lock.
public final class PostgresTestCluster: @unchecked Sendable {  // state guarded by `lock`
    /// Settings for a cluster this process creates.
    public struct Options: Sendable {
        /// Keep the server's fsync on (the default): durability tests must
        /// see real flushes. Turning it off only speeds up other tests.
        public var fsync: Bool
        /// How long to wait for the server to accept connections.
        public var startupTimeout: TimeInterval

        public init(fsync: Bool = true, startupTimeout: TimeInterval = 60) {
            self.fsync = fsync
            self.startupTimeout = startupTimeout
        }
    }

    /// The cluster most tests share, one per test process.
    public static let shared = PostgresTestCluster()

    /// The environment variable naming an existing server to use instead of
    /// a throwaway one.
    public static let databaseURLVariable = "ATMP_TEST_DATABASE_URL"

    private let lock = NSLock()
    private let options: Options
    private let externalURL: String?
    private var server: LocalPostgresServer?

    /// - Parameter useEnvironmentDatabase: whether `ATMP_TEST_DATABASE_URL`
    ///   may replace the throwaway server. Tests that restart the server
    ///   pass false and get a cluster of their own — restarting the shared
    ///   one would cut every other test's connections.
    public init(options: Options = Options(), useEnvironmentDatabase: Bool = true) {
        self.options = options
        let url = ProcessInfo.processInfo.environment[Self.databaseURLVariable]
        self.externalURL = useEnvironmentDatabase && url?.isEmpty == false ? url : nil
    }

    deinit {
        stop()
    }

    /// Starts the server if it is not running (idempotent) and returns a
    /// connection string for a database tests may use for administration
    /// (`postgres` on the throwaway server).
    @discardableResult
    public func start() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        return try startLocked()
    }

    private func startLocked() throws -> String {
        if let externalURL { return externalURL }
        if let server { return server.adminConnectionString }
        let created = try LocalPostgresServer(fsync: options.fsync, startupTimeout: options.startupTimeout)
        try created.start()
        server = created
        RunningClusters.add(self)
        return created.adminConnectionString
    }

    /// Creates an empty database named `<prefix>_<random>` and returns a
    /// connection string for it. Starts the server if needed.
    public func createDatabase(prefix: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        let admin = try startLocked()
        // The name is made here from letters, digits and underscores only, so
        // quoting it as an identifier is safe (CREATE DATABASE takes no parameters).
        let cleaned = String(prefix.lowercased().unicodeScalars
            .map { ("a"..."z").contains($0) || ("0"..."9").contains($0) ? Character($0) : "_" }
            .prefix(40))
        let name = "\(cleaned.isEmpty ? "test" : cleaned)_\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let connection = try PostgresConnection(admin)
        try connection.execute("CREATE DATABASE \"\(name)\"")
        return try Self.connectionString(admin, replacingDatabaseWith: name)
    }

    /// Whether `restart()` can work: only for a server this process runs.
    public var canRestart: Bool { externalURL == nil }

    /// Stops the server and starts it again on the same data, port and
    /// socket — as a crash-and-recover or an operator restart would. Every
    /// open connection is cut and must `reset()`.
    public func restart() throws {
        lock.lock()
        defer { lock.unlock() }
        guard externalURL == nil else {
            throw PostgresTestClusterError("cannot restart the server named by \(Self.databaseURLVariable); use PostgresTestCluster(useEnvironmentDatabase: false)")
        }
        guard let server else { throw PostgresTestClusterError("restart() before start()") }
        server.stop()
        try server.start()
    }

    /// Stops the server and deletes its files. A later `start()` creates a
    /// fresh cluster. Called automatically at process exit.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        server = nil  // LocalPostgresServer.deinit stops it and removes its files
        RunningClusters.remove(self)
    }

    /// The server's log so far (throwaway server only), for failure messages.
    public func serverLog() -> String? {
        lock.lock()
        defer { lock.unlock() }
        return server?.serverLog()
    }

    /// `connectionString` (keyword form or URI) with its database replaced.
    static func connectionString(_ connectionString: String, replacingDatabaseWith database: String) throws -> String {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0) } ?? "unparsable"
            errorMessage.map { PQfreemem($0) }
            throw PostgresTestClusterError("cannot parse the connection string: \(message)")
        }
        defer { PQconninfoFree(options) }
        var parts: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            let name = String(cString: keyword)
            let value = name == "dbname" ? database : option.pointee.val.map { String(cString: $0) }
            if let value {
                let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
                parts.append("\(name)='\(escaped)'")
            }
            option += 1
        }
        return parts.joined(separator: " ")
    }
}

/// Clusters with a running server, stopped by an exit handler so no server
/// or temporary directory outlives the test process.
private enum RunningClusters {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var clusters: [ObjectIdentifier: PostgresTestCluster] = [:]  // guarded by `lock`
    private static let exitHandler: Void = {
        atexit { RunningClusters.stopAll() }
    }()

    static func add(_ cluster: PostgresTestCluster) {
        _ = exitHandler
        lock.lock()
        defer { lock.unlock() }
        clusters[ObjectIdentifier(cluster)] = cluster
    }

    static func remove(_ cluster: PostgresTestCluster) {
        lock.lock()
        defer { lock.unlock() }
        clusters[ObjectIdentifier(cluster)] = nil
    }

    static func stopAll() {
        lock.lock()
        let running = Array(clusters.values)
        lock.unlock()
        running.forEach { $0.stop() }
    }
}
