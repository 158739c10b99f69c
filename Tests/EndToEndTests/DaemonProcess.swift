import Foundation
import SocketTestSupport
import PostgresTestSupport
import Testing

/// A real `atmpd` process on a temporary socket, as a user would run it.
final class DaemonProcess {
    static let packageRoot = BuiltProducts.packageRoot
    static var binary: URL { get throws { try BuiltProducts.executable("atmpd") } }

    /// Where the daemon keeps its socket (and, for SQLite, its database).
    let directory: URL
    let database: String
    var socket: String { directory.appendingPathComponent("atmpd.sock").path }
    private(set) var process: Process?
    private let extraArguments: [String]
    let log: URL

    /// A database of the given kind, a fresh directory, and a first admin `root`.
    init(backend: Backend, extraArguments: [String] = [], cluster: PostgresTestCluster = .shared) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("atmpd-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        log = directory.appendingPathComponent("atmpd.log")
        switch backend {
        case .sqlite: database = "sqlite:" + directory.appendingPathComponent("atmp.db").path
        case .postgres: database = try cluster.createDatabase(prefix: "atmp_e2e")
        }
        self.extraArguments = extraArguments
        let added = try Self.run(["user", "add", "root", "--roles", "admin", "--database", database], stdin: "root-password\n")
        guard added.status == 0 else { throw ClientError("atmpd user add failed: \(added.output)") }
    }

    /// A second daemon on `other`'s database (PostgreSQL: several instances
    /// share one), with a directory and socket of its own.
    init(sharing other: DaemonProcess, extraArguments: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("atmpd-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        log = directory.appendingPathComponent("atmpd.log")
        database = other.database
        self.extraArguments = extraArguments
    }

    deinit {
        if let process, process.isRunning { process.terminate() }
    }

    /// Starts `atmpd serve` and waits until its socket answers.
    func start() throws {
        let process = Process()
        process.executableURL = try Self.binary
        process.arguments = ["serve", "--database", database, "--socket", socket,
                             "--workflows", Self.packageRoot.appendingPathComponent("Workflows").path] + extraArguments
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if !process.isRunning { throw ClientError("atmpd exited at start: \(logText)") }
            if (try? ProtocolClient(socket: socket, timeoutSeconds: 2)) != nil { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw ClientError("atmpd did not answer on \(socket) within 30 s: \(logText)")
    }

    /// SIGTERM and wait; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        guard let process else { return -1 }
        if process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        self.process = nil
        return process.terminationStatus
    }

    /// SIGKILL, as a crash or the OOM killer would: no shutdown code runs.
    /// Waits until the process is gone so `start()` can run on the same data.
    func crash() {
        guard let process else { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        self.process = nil
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// A signed-in client.
    func client(_ user: String = "root", _ password: String = "root-password") throws -> ProtocolClient {
        let client = try ProtocolClient(socket: socket)
        try client.authenticate(user, password)
        return client
    }

    struct Result { var status: Int32; var output: String }

    /// Runs `atmpd ARGS` to completion (migrate, user add).
    static func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = try binary
        process.arguments = arguments
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

enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }
}
