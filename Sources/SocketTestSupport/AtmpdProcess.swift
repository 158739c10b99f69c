import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real `atmpd serve` process for tests, run as an operator would run it:
/// a fresh short directory under /tmp holds its socket, its log and (unless
/// another database is given) its SQLite database; users are added with
/// `atmpd user add` first.
///
/// Stopping it is the test's job, on every path: `defer { stopBlocking() }`
/// in synchronous tests; in async ones `stopping { … }`, which awaits
/// `stop()` whether its body returns or throws (a `defer` cannot await). As a
/// last resort the deinit kills a still-running process with SIGKILL and
/// waits until it is gone, so a handle that is let go of never leaves a
/// daemon behind; and should the test process die first, the kernel kills
/// the daemon (see `DaemonLauncher`).
///
/// The async methods wait with `Task.sleep` and never hold a cooperative
/// thread; the `…Blocking` ones sleep their thread, for synchronous tests.
public final class AtmpdProcess: @unchecked Sendable {  // `process` and `port` guarded by `lock`
    /// Where the socket, the log and a SQLite database are; removed by the deinit.
    public let directory: String
    /// `sqlite:` in `directory`, or the connection string given.
    public let database: String
    public var socket: String { directory + "/atmpd.sock" }
    public var logPath: String { directory + "/atmpd.log" }
    /// What follows `atmpd serve --database D --socket S`.
    public let serveArguments: [String]
    private let directoryPrefix: String

    private let lock = NSLock()
    private var process: Process?
    private var port: Int?

    public static let startTimeout: Duration = .seconds(30)
    public static let stopTimeout: Duration = .seconds(30)

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Every test user's password: `NAME-password`.
    public static func password(for user: String) -> String { "\(user)-password" }

    /// A new directory, and `users` (name → comma-separated roles) added to
    /// `database` (nil: a SQLite file in the directory). Not started yet.
    /// `directoryPrefix` names the directory, so a daemon left running says
    /// which tests started it.
    public init(database: String? = nil, users: [String: String] = [:], serveArguments: [String] = [],
                directoryPrefix: String = "atmpd-t") throws
    {
        directory = try Self.makeDirectory(prefix: directoryPrefix)
        self.database = database ?? "sqlite:\(directory)/atmp.db"
        self.serveArguments = serveArguments
        self.directoryPrefix = directoryPrefix
        for (name, roles) in users.sorted(by: { $0.key < $1.key }) {
            let added = try Self.runBlocking(["user", "add", name, "--roles", roles, "--database", self.database],
                                             stdin: Self.password(for: name) + "\n", in: directory)
            guard added.status == 0 else { throw Failure("atmpd user add \(name) failed: \(added.output)") }
        }
    }

    /// A second daemon on `other`'s database (PostgreSQL: several instances
    /// share one), with a directory and socket of its own.
    public init(sharing other: AtmpdProcess, serveArguments: [String] = []) throws {
        directory = try Self.makeDirectory(prefix: other.directoryPrefix)
        database = other.database
        self.serveArguments = serveArguments
        directoryPrefix = other.directoryPrefix
    }

    deinit {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Self.waitBlocking(for: process, until: ContinuousClock.now + .seconds(10))
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func makeDirectory(prefix: String) throws -> String {
        // Short: Unix socket paths are limited to about 100 bytes.
        let path = "/tmp/\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    // MARK: State

    public var isRunning: Bool { lock.withLock { process?.isRunning ?? false } }
    public var processIdentifier: Int32? { lock.withLock { process?.processIdentifier } }
    /// The TCP port it listens on, once ready, when `serveArguments` asked for `--listen`.
    public var tcpPort: Int? { lock.withLock { port } }
    public var logText: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    private var listensOnTCP: Bool { serveArguments.contains { $0 == "--listen" || $0.hasPrefix("--listen=") } }

    // MARK: Starting

    /// Starts `atmpd serve` and waits until it is ready.
    public func start() async throws {
        try launch()
        try await waitUntilReady()
    }

    /// `start()` for synchronous tests: sleeps this thread while it waits.
    public func startBlocking() throws {
        try launch()
        try waitUntilReadyBlocking()
    }

    /// Waits until the socket answers (and, with `--listen`, the TCP port is in
    /// the log); throws if atmpd exits first, and kills it after `timeout`.
    public func waitUntilReady(timeout: Duration = AtmpdProcess.startTimeout) async throws {
        let process = try launched()
        let deadline = ContinuousClock.now + timeout
        while try !isReady(process) {
            if ContinuousClock.now >= deadline {
                let log = logText
                await crash()
                throw Failure("atmpd did not answer on \(socket) within \(timeout): \(log)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// `waitUntilReady` for synchronous tests.
    public func waitUntilReadyBlocking(timeout: Duration = AtmpdProcess.startTimeout) throws {
        let process = try launched()
        let deadline = ContinuousClock.now + timeout
        while try !isReady(process) {
            if ContinuousClock.now >= deadline {
                let log = logText
                crashBlocking()
                throw Failure("atmpd did not answer on \(socket) within \(timeout): \(log)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Runs `atmpd serve`, its output appended to the log (one log across restarts).
    private func launch() throws {
        try lock.withLock {
            // A second process would orphan the first: nothing would stop it.
            if let running = self.process, running.isRunning { throw Failure("atmpd is already running; stop it before starting it again") }
        }
        let process = Process()
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        // Settings come from the arguments only, never from the test run's ATMP_* variables.
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ATMP_") }
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        defer { try? log.close() }  // the child has its own descriptor
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        // Killed by the kernel if the test process dies before stopping it.
        try DaemonLauncher.run(process, executable: try BuiltProducts.executable("atmpd"),
                               arguments: ["serve", "--database", database, "--socket", socket] + serveArguments)
        lock.withLock {
            self.process = process
            port = nil
        }
    }

    private func launched() throws -> Process {
        guard let process = lock.withLock({ process }) else { throw Failure("atmpd was not started") }
        return process
    }

    /// One look: ready, not yet, or gone (throws).
    private func isReady(_ process: Process) throws -> Bool {
        guard process.isRunning else {
            throw Failure("atmpd exited at start (status \(process.terminationStatus)): \(logText)")
        }
        guard (try? TestClient(unixSocket: socket, timeoutSeconds: 2)) != nil else { return false }
        guard listensOnTCP else { return true }
        // "atmpd: listening on TCP port N" comes with the socket's line, once both listen.
        guard let line = logText.split(separator: "\n").last(where: { $0.contains("listening on TCP port") }),
              let found = line.split(separator: " ").lazy.compactMap({ Int($0) }).first
        else { return false }
        lock.withLock { port = found }
        return true
    }

    // MARK: Stopping

    /// SIGTERM, then waits for the exit (SIGKILL after `timeout`). Returns the
    /// exit status, or -1 when it was not started.
    @discardableResult
    public func stop(timeout: Duration = AtmpdProcess.stopTimeout) async -> Int32 {
        guard let process = lock.withLock({ process }) else { return -1 }
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        if !(await Self.wait(for: process, until: ContinuousClock.now + timeout)) {
            kill(process.processIdentifier, SIGKILL)
            await Self.wait(for: process, until: .now + .seconds(10))
        }
        return forget(process)
    }

    /// Runs `body`, then stops this daemon whether `body` returned or threw:
    /// what `defer { stopBlocking() }` is to a synchronous test, since a
    /// `defer` cannot await.
    public func stopping<T>(isolation: isolated (any Actor)? = #isolation, after body: () async throws -> T)
        async rethrows -> T
    {
        let result: T
        do {
            result = try await body()
        } catch {
            await stop()
            throw error
        }
        await stop()
        return result
    }

    /// `stop()` for synchronous tests.
    @discardableResult
    public func stopBlocking(timeout: Duration = AtmpdProcess.stopTimeout) -> Int32 {
        guard let process = lock.withLock({ process }) else { return -1 }
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        if !Self.waitBlocking(for: process, until: ContinuousClock.now + timeout) {
            kill(process.processIdentifier, SIGKILL)
            Self.waitBlocking(for: process, until: .now + .seconds(10))
        }
        return forget(process)
    }

    /// SIGKILL, as a crash or the OOM killer would: no shutdown code runs.
    /// Waits until the process is gone, so `start()` can run on the same data.
    public func crash() async {
        guard let process = lock.withLock({ process }) else { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        await Self.wait(for: process, until: .now + .seconds(10))
        forget(process)
    }

    /// `crash()` for synchronous tests.
    public func crashBlocking() {
        guard let process = lock.withLock({ process }) else { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        Self.waitBlocking(for: process, until: .now + .seconds(10))
        forget(process)
    }

    /// Lets go of an exited process and returns its status; one still running
    /// (it outlived SIGKILL's wait) stays for the deinit to try again: -1.
    @discardableResult
    private func forget(_ exited: Process) -> Int32 {
        lock.withLock {
            guard !exited.isRunning else { return -1 }
            if process === exited { process = nil }
            return exited.terminationStatus
        }
    }

    /// Waits until Foundation has reaped `process` or `deadline` passes; true if it exited.
    @discardableResult
    private static func wait(for process: Process, until deadline: ContinuousClock.Instant) async -> Bool {
        while process.isRunning && ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(20)) } catch { usleep(20_000) }  // cancelled: still wait
        }
        return !process.isRunning
    }

    @discardableResult
    private static func waitBlocking(for process: Process, until deadline: ContinuousClock.Instant) -> Bool {
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        return !process.isRunning
    }

    // MARK: Other atmpd commands

    public struct Result: Sendable {
        public var status: Int32
        /// Standard output and standard error together.
        public var output: String
        public init(status: Int32, output: String) {
            self.status = status
            self.output = output
        }
    }

    /// Runs `atmpd arguments…` (user add, migrate, verify) to its end, on a thread of its own.
    public static func run(_ arguments: [String], stdin: String? = nil, in directory: String? = nil) async throws -> Result {
        try await onOwnThread { try runBlocking(arguments, stdin: stdin, in: directory) }
    }

    /// `run` for synchronous tests.
    public static func runBlocking(_ arguments: [String], stdin: String? = nil, in directory: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = try BuiltProducts.executable("atmpd")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ATMP_") }
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
