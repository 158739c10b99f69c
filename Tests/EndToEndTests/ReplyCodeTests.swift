import ControlProtocol
import Foundation
import SQLiteClient
import Testing

/// Every reply code of the protocol, produced by a real daemon.
@Suite("Reply codes", .serialized)
struct ReplyCodeTests {
    @Test func everyCodeFromOneScenario() throws {
        let s = try Scenario(.postgres, extraArguments: ["--max-connections", "12"])
        defer { s.daemon.stopBlocking() }
        let anonymous = try ProtocolClient(socket: s.daemon.socket)
        #expect(anonymous.greeting?.code == 220)
        #expect(anonymous.greeting?.okFields == nil)  // 220 is not 250
        expectError(try anonymous.send("CASE SHOW \(s.caseID)"), 530, "auth-required")
        expectError(try anonymous.send("AUTH user=lead password=wrong"), 535, "auth-failed")

        let lead = try s.client("lead")
        let qa = try s.client("qa")
        let reader = try s.client("reader")
        expectError(try lead.send("AUTH user=lead password=\(Scenario.password)"), 503, "bad-sequence")
        expectError(try lead.send("CASE SHOW C-999999"), 550, "not-found")
        expectError(try reader.send("CASE NOTE \(s.caseID) text=x"), 551, "forbidden")
        // 553 lists every missing item: the document and the signature.
        let unmet = try lead.send("CASE ADVANCE \(s.caseID) submit")
        expectError(unmet, 553, "requirements-unmet")
        let missing = unmet.records("missing")
        #expect(missing.map { $0["kind"] ?? "" }.sorted() == ["document", "signature"])
        expectError(try lead.send("CASE ADVANCE \(s.caseID) submit expect=7"), 450, "version-conflict")
        expectError(try s.root.send("+TEMPLATE PUT", data: "template: Bad_Name\n"), 554, "invalid-template")
        #expect(!(try s.root.send("+TEMPLATE CHECK", data: "template: x\nstates: 3\n")).records("error").isEmpty)

        // 552: on hold, only RESUME and NOTE.
        expectOK(try lead.send("CASE HOLD \(s.caseID) reason=\"awaiting data\""))
        expectError(try lead.send("CASE ATTACH \(s.caseID) document=report sha256=\(String(repeating: "0", count: 64))"),
                    552, "not-allowed-now")
        expectOK(try lead.send("CASE RESUME \(s.caseID) reason=\"data arrived\""))

        // 555: an idempotency key reused with other arguments.
        let first = try lead.send("CASE NOTE \(s.caseID) text=once idem=k-1")
        expectOK(first)
        #expect(try lead.send("CASE NOTE \(s.caseID) text=once idem=k-1") == first)
        expectError(try lead.send("CASE NOTE \(s.caseID) text=other idem=k-1"), 555, "idempotency-mismatch")

        // 650: a watcher sees the change.
        expectOK(try reader.send("WATCH case=\(s.caseID)"))
        expectOK(try qa.send("CASE SIGN \(s.caseID) submit meaning=approved password=\(Scenario.password)"))
        let events = try reader.waitForEvents(1)
        #expect(events.first?.code == 650)
        #expect(events.first?.okFields == nil)

        // 452: over the connection limit.
        var extra: [ProtocolClient] = []
        var refused: Reply?
        for _ in 0..<20 {
            let c = try ProtocolClient(socket: s.daemon.socket)
            if c.greeting?.code == 452 { refused = c.greeting; break }
            extra.append(c)
        }
        #expect(refused?.errorKey == "too-busy")
        extra.removeAll()

        // 421: shutdown says goodbye to connected clients. (The server notices
        // the closed connections asynchronously: wait until a slot is free.)
        var stayer: ProtocolClient?
        for _ in 0..<100 where stayer == nil {
            if let c = try? ProtocolClient(socket: s.daemon.socket), c.greeting?.code == 220 {
                stayer = c
            } else {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        let connected = try #require(stayer)
        try connected.authenticate("lead", Scenario.password)
        #expect(s.daemon.stopBlocking() == 0)
        #expect((try? connected.readReply())?.code == 421)
    }

    /// 557: a chain changed behind the daemon's back.
    @Test func auditBroken() throws {
        let s = try Scenario(.sqlite)
        defer { s.daemon.stopBlocking() }
        let lead = try s.client("lead")
        for i in 1...4 { expectOK(try lead.send("CASE NOTE \(s.caseID) text=\"note \(i)\"")) }
        expectOK(try s.root.send("AUDIT VERIFY"))
        let path = String(s.daemon.database.dropFirst("sqlite:".count))
        try sqlite(path, "DROP TRIGGER audit_events_no_update")
        try sqlite(path, "UPDATE audit_events SET data = '{\"text\":\"forged\"}' WHERE chain = '\(s.caseID)' AND seq = 3")
        let broken = try s.root.send("AUDIT VERIFY")
        expectError(broken, 557, "audit-broken")
        #expect(broken.records("broken").first?["chain"] == s.caseID)
        #expect(broken.records("broken").first?["seq"] == "3")
    }

    /// 451: the database cannot take the write (another process holds
    /// SQLite's write lock past the busy timeout). Nothing is written, the
    /// client is told to try later, and the same daemon carries on when the
    /// lock is gone.
    @Test func storageUnavailableThenRecovered() throws {
        let s = try Scenario(.sqlite)
        defer { s.daemon.stopBlocking() }
        let lead = try s.client("lead")
        let path = String(s.daemon.database.dropFirst("sqlite:".count))
        let blocker = try SQLiteConnection(path: path, busyTimeoutMilliseconds: 1_000)
        try blocker.execute("BEGIN EXCLUSIVE")
        expectError(try lead.send("CASE NOTE \(s.caseID) text=\"blocked\""), 451, "storage-unavailable")
        try blocker.execute("ROLLBACK")
        blocker.close()
        let after = try lead.send("CASE NOTE \(s.caseID) text=\"through\"")
        expectOK(after)
        #expect(after.records("case").first?["version"] == "2")
    }

    func sqlite(_ path: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, sql]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ClientError("sqlite3 failed: \(sql)") }
    }
}
