import SocketTestSupport
import Foundation
import Synchronization
import Testing

struct RunError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The built `atmpd` binary and the package root.
enum Binary {
    static let packageRoot = BuiltProducts.packageRoot
    static var atmpd: URL { get throws { try BuiltProducts.executable("atmpd") } }
}

/// A fresh temporary directory with a short path (Unix socket paths are limited to ~100 bytes).
func temporaryDirectory() throws -> String {
    let path = "/tmp/atmpd-t-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// One `atmpd` process, its output collected as it comes. Always killed when
/// the test lets go of it, so a failing test leaves no daemon behind.
final class Daemon: Sendable {
    let process: Process
    private let output = Output()

    /// What the process wrote so far; appended to from the pipes' handlers.
    private final class Output: Sendable {
        let text = Mutex((stdout: "", stderr: ""))
    }

    /// Starts `atmpd arguments…` in `directory` with only the `ATMP_*` variables given in `environment`.
    init(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:], stdin: String? = nil) throws {
        let process = Process()
        process.executableURL = try Binary.atmpd
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ATMP_") }
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        self.process = process
        // Blocking reads on threads of their own, not readabilityHandler: its
        // dispatch read sources crash now and then on Linux when many pipes
        // come and go at once (swift-corelibs-foundation #3276; seen in CI here).
        Self.drain(out.fileHandleForReading) { [output] text in output.text.withLock { $0.stdout += text } }
        Self.drain(err.fileHandleForReading) { [output] text in output.text.withLock { $0.stderr += text } }
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
    }

    /// Reads `handle` to its end on a thread of its own, passing on what arrives.
    private static func drain(_ handle: FileHandle, _ append: @escaping @Sendable (String) -> Void) {
        Thread {
            let descriptor = handle.fileDescriptor  // the handle stays open while this thread holds it
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                append(String(decoding: buffer[..<count], as: UTF8.self))
            }
            withExtendedLifetime(handle) {}
        }.start()
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    var stdout: String { output.text.withLock { $0.stdout } }
    var stderr: String { output.text.withLock { $0.stderr } }

    /// Waits until standard output contains `text`; throws after `seconds` or if the process exits first.
    func waitForOutput(_ text: String, seconds: Int = 60) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if stdout.contains(text) { return }
            if !process.isRunning {
                try? await Task.sleep(for: .milliseconds(100))  // let the pipes drain
                if stdout.contains(text) { return }
                throw RunError("atmpd exited (\(process.terminationStatus)) before printing \(text.debugDescription); stderr: \(stderr)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        // The test may not have run for a while (a busy machine): look once more before failing.
        if stdout.contains(text) { return }
        throw RunError("atmpd did not print \(text.debugDescription) within \(seconds) s; stdout: \(stdout) stderr: \(stderr)")
    }

    /// Waits for the exit status; kills the process and throws after `seconds`.
    func exitStatus(within seconds: Int = 60) async throws -> Int32 {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                kill(process.processIdentifier, SIGKILL)
                throw RunError("atmpd still running after \(seconds) s; stderr: \(stderr)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        try? await Task.sleep(for: .milliseconds(100))  // let the pipes drain
        return process.terminationStatus
    }

    func terminate() { kill(process.processIdentifier, SIGTERM) }
}

/// Runs `atmpd arguments…` to completion.
func atmpd(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:], stdin: String? = nil)
    async throws -> (status: Int32, stdout: String, stderr: String)
{
    let daemon = try Daemon(arguments, in: directory, environment: environment, stdin: stdin)
    let status = try await daemon.exitStatus()
    return (status, daemon.stdout, daemon.stderr)
}
