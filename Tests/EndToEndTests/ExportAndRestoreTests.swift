import AuditLog
import ControlProtocol
import Foundation
import PostgresTestSupport
import SocketTestSupport
import Testing

/// AUDIT EXPORT CASE verified offline by `atmpctl audit verify`, and a
/// pg_dump restored and verified by scripts/verify-restore.
@Suite struct ExportAndRestoreTests {
    /// The scenario case with a document, a signature and a transition.
    static func fill(_ s: Scenario, document: String) throws {
        let lead = try s.client("lead")
        let digest = CaseExportVerifier.sha256Hex(Array(document.utf8))
        expectOK(try lead.send("CASE ATTACH \(s.caseID) document=report sha256=\(digest) title=\"Final report\""))
        expectOK(try s.client("qa").send("CASE SIGN \(s.caseID) submit meaning=approved password=\(Scenario.password)"))
        expectOK(try lead.send("CASE ADVANCE \(s.caseID) submit"))
    }

    @Test(arguments: Backend.allCases)
    func exportedCaseVerifiesOfflineAndTamperingIsNamed(_ backend: Backend) async throws {
        try await Scenario.with(backend) { s in
            let document = "the final report, version 1\n"
            try Self.fill(s, document: document)

            let reply = try s.client("reader").send("AUDIT EXPORT CASE \(s.caseID)")
            expectOK(reply)
            let block = try #require(reply.records("export").first)
            #expect(block["case"] == s.caseID)
            #expect(block["format"] == "atmp-case-export" && block["version"] == "1")
            #expect(block["events"] == "4")
            let text = try #require(block.data)
            let head = try #require(block["head"])
            let report = CaseExportVerifier.verify(
                Array(text.utf8), expectedHead: head,
                availableDocuments: [CaseExportVerifier.sha256Hex(Array(document.utf8))])
            #expect(report.problems == [])
            #expect(report.signatures == 1 && report.documents.count == 1)

            // Offline, with atmpctl, as a regulator would.
            let directory = s.daemon.directory
            let file = "\(directory)/\(s.caseID).export.json"
            let exported = try await runTool("atmpctl", ["audit", "export", s.caseID, "--output", file, "--socket", s.daemon.socket],
                                       environment: ["ATMP_USER": "reader", "ATMP_PASSWORD": Scenario.password])
            #expect(exported.status == 0, "\(exported.stderr)")
            #expect(exported.stdout.contains("head \(head)"))
            // The same file as the protocol's block, but for the export time.
            let written = try String(contentsOfFile: file, encoding: .utf8)
            #expect(written.split(separator: "\n").filter { !$0.hasPrefix("\"exported\"") }
                    == text.split(separator: "\n").filter { !$0.hasPrefix("\"exported\"") })
            try FileManager.default.createDirectory(atPath: "\(directory)/docs", withIntermediateDirectories: true)
            try Data(document.utf8).write(to: URL(fileURLWithPath: "\(directory)/docs/report.txt"))
            let good = try await runTool("atmpctl", ["audit", "verify", file, "--documents", "\(directory)/docs", "--head", head])
            #expect(good.status == 0, "\(good.stderr)")
            #expect(good.stdout.contains("document report sha256") && good.stdout.contains("found"))

            let tampered = "\(directory)/tampered.json"
            try Data(text.replacingOccurrences(of: #""to":"review""#, with: #""to":"accepted""#).utf8)
                .write(to: URL(fileURLWithPath: tampered))
            let bad = try await runTool("atmpctl", ["audit", "verify", tampered])
            #expect(bad.status == 65)
            #expect(bad.stderr.contains("broken: chain: chain \(s.caseID) broken at seq 4"), "\(bad.stderr)")

            let parent = try await runTool("atmpctl", ["audit", "verify", file, "--documents", directory])
            #expect(parent.status == 0, "files are found in subdirectories too: \(parent.stderr)")
            try FileManager.default.removeItem(atPath: "\(directory)/docs/report.txt")
            let gone = try await runTool("atmpctl", ["audit", "verify", file, "--documents", "\(directory)/docs"])
            #expect(gone.status == 65 && gone.stderr.contains("MISSING"), "\(gone.stderr)")

            // The same permission as AUDIT TRAIL on the case; only cases export.
            expectOK(try s.root.send("USER ADD outsider roles=other password=\(Scenario.password)"))
            expectError(try s.client("outsider").send("AUDIT EXPORT CASE \(s.caseID)"), 550, "not-found")
            expectError(try s.root.send("AUDIT EXPORT SYSTEM system"), 501, "bad-argument")
            expectError(try s.root.send("AUDIT EXPORT CASE C-999999"), 550, "not-found")
        }
    }

    @Test func atmpdVerifyOnSQLiteWithoutADaemon() async throws {
        try await Scenario.with(.sqlite) { s in
            try Self.fill(s, document: "x")
            #expect(await s.daemon.stop() == 0)
            let run = try await AtmpdProcess.run(["verify", "--database", s.daemon.database])
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("no break"))
        }
    }

    @Test func restoredBackupVerifiesAndATamperedCopyIsNamed() async throws {
        try await Scenario.with(.postgres) { s in
            try Self.fill(s, document: "report")
            let settings = try ConnectionSettings(s.daemon.database)
            let directory = s.daemon.directory
            let headsQuery = "SELECT id, version, head FROM cases UNION ALL SELECT chain, seq, hash FROM chain_heads WHERE seq > 0 ORDER BY 1"

            // Back up: the heads first, then the dump (docs/operations.md).
            let heads = try await settings.run("psql", ["-X", "-At", "-d", s.daemon.database, "-c", headsQuery])
            #expect(heads.status == 0 && heads.stdout.contains("\(s.caseID)|4|"), "\(heads.stderr)")
            try Data(heads.stdout.utf8).write(to: URL(fileURLWithPath: "\(directory)/heads.txt"))
            let dump = "\(directory)/atmp.dump"
            let dumped = try await settings.run("pg_dump", ["-Fc", "-d", s.daemon.database, "-f", dump])
            #expect(dumped.status == 0, "\(dumped.stderr)")

            let restored = "restored_\(UInt32.random(in: 0...UInt32.max))"
            let good = try await settings.verifyRestore(dump, into: restored, heads: "\(directory)/heads.txt")
            #expect(good.status == 0, "\(good.stdout) \(good.stderr)")
            #expect(good.stdout.contains("no break"))

            // Tamper with an audit row of the restored copy, as a superuser can.
            let tamper = """
                ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
                UPDATE audit_events SET data = replace(data, 'Final report', 'Draft report') WHERE chain = '\(s.caseID)' AND seq = 2;
                ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;
                """
            let changed = try await settings.run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", restored, "-c", tamper])
            #expect(changed.status == 0, "\(changed.stderr)")
            let tamperedDump = "\(directory)/tampered.dump"
            #expect(try await settings.run("pg_dump", ["-Fc", "-d", restored, "-f", tamperedDump]).status == 0)
            let bad = try await settings.verifyRestore(tamperedDump, into: restored + "_t", heads: nil)
            #expect(bad.status == 65)
            #expect(bad.stdout.contains("broken chain=\(s.caseID) seq=2"), "\(bad.stdout) \(bad.stderr)")

            // A dump older than the recorded heads: every chain verifies, the heads do not.
            expectOK(try s.client("lead").send("CASE NOTE \(s.caseID) text=\"after the backup\""))
            let later = try await settings.run("psql", ["-X", "-At", "-d", s.daemon.database, "-c", headsQuery])
            try Data(later.stdout.utf8).write(to: URL(fileURLWithPath: "\(directory)/later-heads.txt"))
            let old = try await settings.verifyRestore(dump, into: restored + "_o", heads: "\(directory)/later-heads.txt")
            #expect(old.status == 65)
            #expect(old.stdout.contains("broken chain=\(s.caseID) seq=5") && old.stdout.contains("older or truncated"),
                    "\(old.stdout) \(old.stderr)")
        }
    }
}

/// Where the test cluster is, as libpq environment variables for the client tools.
struct ConnectionSettings {
    var environment: [String: String] = [:]

    init(_ conninfo: String) throws {
        let names = ["host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD"]
        for match in conninfo.matches(of: /(\w+)='((?:[^'\\]|\\.)*)'/) {
            if let variable = names[String(match.1)] { environment[variable] = String(match.2) }
        }
        guard environment["PGHOST"] != nil else { throw ClientError("no host in \(conninfo)") }
    }

    func run(_ tool: String, _ arguments: [String]) async throws -> ToolRun {
        try await runTool(tool, arguments, environment: environment)
    }

    func verifyRestore(_ dump: String, into database: String, heads: String?) async throws -> ToolRun {
        var arguments = [dump, "--dbname", database, "--atmpd", try BuiltProducts.executable("atmpd").path]
        if let heads { arguments += ["--heads", heads] }
        let script = BuiltProducts.packageRoot.appendingPathComponent("scripts/verify-restore").path
        return try await runTool(script, arguments, environment: environment)
    }
}

struct ToolRun { var status: Int32; var stdout: String; var stderr: String }

/// Runs a program (a built product by name, a path, or a tool on PATH) to
/// completion, waiting on a thread of its own: a restore takes seconds, and
/// blocking the cooperative pool that long starves every other test.
func runTool(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> ToolRun {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(with: Result { try runToolBlocking(tool, arguments, environment: environment) })
        }.start()
    }
}

private func runToolBlocking(_ tool: String, _ arguments: [String], environment: [String: String]) throws -> ToolRun {
    let process = Process()
    if tool == "atmpctl" {
        process.executableURL = try BuiltProducts.executable("atmpctl")
        process.arguments = arguments
    } else if tool.hasPrefix("/") {
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
    }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    // Standard error goes to a file, so that reading standard output to its
    // end cannot deadlock against a full stderr pipe.
    let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString).err").path
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errPath) }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errText = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    return ToolRun(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: errText)
}
