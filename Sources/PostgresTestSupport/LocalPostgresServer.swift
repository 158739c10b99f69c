import CLibPQ
import Foundation

/// A PostgreSQL server this process created: a fresh cluster in a private
/// temporary directory, reachable only through a Unix socket in that
/// directory (no TCP), with trust authentication for user `postgres`.
final class LocalPostgresServer {
    let root: URL
    let port: Int
    private let binaries: PostgresServerBinaries
    private let user: Subprocess.UnprivilegedUser?
    private let fsync: Bool
    private let startupTimeout: TimeInterval
    private var supervisor: Process?
    private var supervisorInput: Pipe?

    var dataDirectory: URL { root.appendingPathComponent("data") }
    var logFile: URL { root.appendingPathComponent("server.log") }

    /// Connection string for the `postgres` database as superuser `postgres`.
    var adminConnectionString: String {
        "host='\(root.path)' port=\(port) user=postgres dbname=postgres"
    }

    /// Creates the cluster with initdb; does not start it.
    init(fsync: Bool, startupTimeout: TimeInterval) throws {
        self.binaries = try PostgresServerBinaries.locate()
        self.user = try Subprocess.UnprivilegedUser.forServer()
        self.fsync = fsync
        self.startupTimeout = startupTimeout
        self.port = Self.freePort()
        Self.removeDirectoriesOfDeadProcesses()
        self.root = Self.baseDirectory.appendingPathComponent("atmp-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        if let user {
            // The server's own account must own its directory (and the
            // socket placed in it); root, running the tests, can reach it anyway.
            guard chown(root.path, user.uid, user.gid) == 0 else {
                throw PostgresTestClusterError("cannot hand \(root.path) to user \(user.name): errno \(errno)")
            }
        }
        try Subprocess.run(
            executable: binaries.initdb.path,
            arguments: [
                "-D", dataDirectory.path, "-U", "postgres", "--auth=trust",
                "-E", "UTF8", "--locale=C",
                // Skipping initdb's final flush only risks the template
                // files; the server itself keeps fsync on (see `fsync`).
                "--no-sync",
            ],
            as: user, in: root)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: root)
    }

    /// Starts `postgres` and waits until it accepts connections.
    ///
    /// A small watchdog shell, started beside the server, reads a pipe from
    /// this process: when the pipe closes — because `stop()` closed it, or
    /// because this process died, even by a crash — it asks the server to
    /// stop (SIGINT, a "fast" shutdown). No test run leaves a server behind.
    func start() throws {
        guard supervisor == nil else { return }
        var serverArguments = [
            binaries.postgres.path, "-D", dataDirectory.path,
            "-k", root.path, "-p", String(port),
            "-c", "listen_addresses=",
            "-c", "max_connections=200",
        ]
        if !fsync { serverArguments += ["-c", "fsync=off", "-c", "synchronous_commit=off"] }
        // The shell keeps our pipe as fd 3 for a watchdog subshell, then
        // becomes the server (exec), so the server's exit ends the process
        // we launched. (An earlier version ran the server in the background
        // and `wait`ed for it; under the test runner that `wait` hung.)
        let script = """
            log="$1"; shift
            exec 3<&0
            ( read -r _ <&3; kill -INT $$ ) &
            exec "$@" >>"$log" 2>&1 </dev/null 3<&-
            """
        let (program, arguments) = user?.wrap("/bin/sh", ["-c", script, "sh", logFile.path] + serverArguments)
            ?? ("/bin/sh", ["-c", script, "sh", logFile.path] + serverArguments)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = root
        let input = Pipe()
        // Only this process may hold the writing end: if the shell (or any
        // other child) inherited it, the pipe would never close and the
        // server would outlive us.
        _ = fcntl(input.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        supervisor = process
        supervisorInput = input
        try waitUntilReady(process)
    }

    /// Stops the server (fast shutdown: open sessions are cut) and waits
    /// for it to exit. The data directory stays, so `start()` can follow.
    func stop() {
        guard let process = supervisor else { return }
        if let writer = supervisorInput?.fileHandleForWriting {
            try? writer.write(contentsOf: Array("stop\n".utf8))
            try? writer.close()
        }
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        supervisor = nil
        supervisorInput = nil
    }

    private func waitUntilReady(_ process: Process) throws {
        let deadline = Date().addingTimeInterval(startupTimeout)
        while Date() < deadline {
            if PQping(adminConnectionString) == PQPING_OK { return }
            guard process.isRunning else {
                supervisor = nil
                throw PostgresTestClusterError("PostgreSQL exited during startup; its log (\(logFile.path)):\n\(serverLog())")
            }
            usleep(50_000)
        }
        stop()
        throw PostgresTestClusterError(
            "PostgreSQL did not accept connections within \(Int(startupTimeout)) s; its log (\(logFile.path)):\n\(serverLog())")
    }

    /// Where clusters are made. As root, /tmp: the `postgres` user must be
    /// able to reach the directory, and root's own TMPDIR may be private.
    private static var baseDirectory: URL {
        geteuid() == 0 ? URL(fileURLWithPath: "/tmp") : FileManager.default.temporaryDirectory
    }

    /// A killed test process cannot delete its cluster (its server does
    /// stop, see `start()`); the next run deletes such leftovers, which are
    /// named after the process id that made them.
    private static func removeDirectoriesOfDeadProcesses() {
        let temporary = Self.baseDirectory
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for entry in entries where entry.hasPrefix("atmp-pg-") {
            let parts = entry.split(separator: "-")
            guard parts.count == 4, let pid = pid_t(parts[2]), pid != getpid() else { continue }
            // kill(pid, 0) fails with ESRCH only when no such process exists.
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: temporary.appendingPathComponent(entry))
            }
        }
    }

    func serverLog() -> String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? "(no log)"
    }

    /// A TCP port nothing listens on now. The server does not listen on TCP
    /// at all, but the port number names its socket file, and a free one
    /// keeps the name unlike any other server's.
    private static func freePort() -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return Int.random(in: 20_000...60_000) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { return Int.random(in: 20_000...60_000) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
