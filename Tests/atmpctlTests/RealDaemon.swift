import Foundation
import SocketTestSupport

/// A real `atmpd` on SQLite in a fresh temporary directory, serving a Unix
/// socket there, for the commands whose point is the real server (bench).
/// Killed when released, so a failing test leaves no daemon behind.
final class RealDaemon {
    let directory: String
    var socket: String { directory + "/atmpd.sock" }
    var database: String { "sqlite:" + directory + "/atmp.db" }
    private var process: Process?
    private let serveArguments: [String]
    /// The TCP port, when `serveArguments` asked for `--listen`.
    private(set) var tcpPort: Int?

    /// `users` are name → comma-separated roles; every password is `NAME-password`.
    /// `serveArguments` are added to `atmpd serve` (say `--listen 127.0.0.1:0` and TLS files).
    init(users: [String: String], serveArguments: [String] = []) throws {
        self.serveArguments = serveArguments
        // Short: Unix socket paths are limited to ~100 bytes.
        directory = "/tmp/atmpctl-t-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, roles) in users.sorted(by: { $0.key < $1.key }) {
            let added = try Self.run(["user", "add", name, "--roles", roles, "--database", database],
                                     stdin: "\(name)-password\n", in: directory)
            guard added.status == 0 else { throw RunError("atmpd user add \(name) failed: \(added.output)") }
        }
        try start()
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func start() throws {
        let process = Process()
        process.executableURL = try BuiltProducts.executable("atmpd")
        process.arguments = ["serve", "--database", database, "--socket", socket] + serveArguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let log = directory + "/atmpd.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            guard process.isRunning else { throw RunError("atmpd exited at start: \(logText)") }
            if (try? TestClient(unixSocket: socket, timeoutSeconds: 2)) != nil {
                guard serveArguments.contains("--listen") else { return }
                // "atmpd: listening on TCP port N" comes with the socket's line, once both listen.
                if let line = logText.split(separator: "\n").first(where: { $0.contains("listening on TCP port") }),
                   let port = line.split(separator: " ").first(where: { Int($0) != nil }).flatMap({ Int($0) }) {
                    tcpPort = port
                    return
                }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw RunError("atmpd did not answer on \(socket) within 30 s: \(logText)")
    }

    var logText: String { (try? String(contentsOfFile: directory + "/atmpd.log", encoding: .utf8)) ?? "" }

    /// Runs the built atmpctl against this daemon as `user`.
    func atmpctl(_ arguments: [String], as user: String) throws -> Run {
        try atmpctlTests.atmpctl(arguments, environment: [
            "ATMP_SOCKET": socket, "ATMP_USER": user, "ATMP_PASSWORD": "\(user)-password", "ATMP_HOST": nil,
        ])
    }

    static func run(_ arguments: [String], stdin: String, in directory: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try BuiltProducts.executable("atmpd")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
