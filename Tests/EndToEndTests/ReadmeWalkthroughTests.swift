import AuditLog
import Foundation
import SocketTestSupport
import Testing

/// Keeps the README true: its cell-therapy walk-through
/// (scripts/demo-cell-therapy.sh) and the regulator's review, run with the
/// real atmpctl against a real atmpd.
@Suite("README walk-through", .serialized)
struct ReadmeWalkthroughTests {
    static var atmpctl: String {
        get throws { try BuiltProducts.executable("atmpctl").path }
    }

    func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> AtmpdProcess.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return AtmpdProcess.Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    @Test func cellTherapyIntoHospitalUseThenTheRegulatorsReview() throws {
        let daemon = try AtmpdProcess.endToEnd(.sqlite)
        defer { daemon.stopBlocking() }
        try daemon.startBlocking()
        let atmpctl = try Self.atmpctl
        let demo = try run(
            BuiltProducts.packageRoot.appendingPathComponent("scripts/demo-cell-therapy.sh").path, [],
            environment: ["ATMPCTL": atmpctl, "ATMP_SOCKET": daemon.socket, "ATMP_ADMIN_USER": "root",
                          "ATMP_ADMIN_PASSWORD": "root-password"])
        #expect(demo.status == 0, "\(demo.output)")
        let caseID = try #require(demo.output.split(separator: "\n").last.map(String.init))
        #expect(caseID == "C-000001")
        #expect(demo.output.contains("in-routine-use"))

        let inspector = ["ATMP_SOCKET": daemon.socket, "ATMP_USER": "inspector", "ATMP_PASSWORD": "demo-password-1"]
        let show = try run(atmpctl, ["case", "show", caseID], environment: inspector)
        #expect(show.status == 0)
        #expect(show.output.contains("in-routine-use"))

        let file = daemon.directory + "/trail.jsonl"
        let trail = try run(atmpctl, ["audit", "trail", caseID, "--output", file], environment: inspector)
        #expect(trail.status == 0, "\(trail.output)")
        let head = try #require(trail.output.split(separator: "\n").first { $0.hasPrefix("head ") }?.dropFirst(5))
        let offline = try run(atmpctl, ["audit", "verify", file, "--head", "\(caseID)=\(head)"], environment: [:])
        #expect(offline.status == 0, "\(offline.output)")
        #expect(offline.output.contains("matches the expected head"))
        let online = try run(atmpctl, ["audit", "verify"], environment: inspector)
        #expect(online.status == 0, "\(online.output)")
        // A regulator changes nothing.
        let note = try run(atmpctl, ["case", "note", caseID, "regulators only read"], environment: inspector)
        #expect(note.status == 77)
        #expect(note.output.contains("551 forbidden"))
    }
}
