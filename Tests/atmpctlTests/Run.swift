import Foundation
import SocketTestSupport
import Testing

/// The result of running the built `atmpctl` binary.
struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum Binary {
    static let packageRoot = BuiltProducts.packageRoot
    static var atmpctl: URL { get throws { try BuiltProducts.executable("atmpctl") } }
}

struct RunError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `atmpctl`; `environment` entries are added to (or, with nil values,
/// removed from) this process's environment.
func atmpctl(_ arguments: [String], stdin: String? = nil, environment: [String: String?] = [:]) throws -> Run {
    let process = Process()
    process.executableURL = try Binary.atmpctl
    process.arguments = arguments
    if !environment.isEmpty {
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
    }
    process.currentDirectoryURL = Binary.packageRoot
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read before waiting, so a full pipe cannot block the child.
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
               stderr: String(decoding: stderr, as: UTF8.self))
}

func temporaryFile(_ name: String, _ contents: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("atmpctl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try Data(contents.utf8).write(to: url)
    return url.path
}
