import ControlProtocol
import Foundation
import PostgresClient
import Testing

@Suite("Races, restarts and tampering", .serialized)
struct RaceAndRestartTests {
    /// Two clients fire at the same version at once: one wins, one is told 450.
    @Test func twoClientsRaceOnOneCase() throws {
        let s = try Scenario(.postgres)
        defer { s.daemon.stopBlocking() }
        let a = try s.client("lead")
        let b = try s.client("lead2")
        for round in 0..<10 {
            let version = try #require(Int(a.send("CASE SHOW \(s.caseID)").records("case").first?["version"] ?? ""))
            // Both requests are on the wire before either reply is read.
            try a.write(Array("CASE NOTE \(s.caseID) text=\"a \(round)\" expect=\(version)\n".utf8))
            try b.write(Array("CASE NOTE \(s.caseID) text=\"b \(round)\" expect=\(version)\n".utf8))
            let replies = [try a.readReply(), try b.readReply()]
            #expect(replies.filter { $0.code == .ok }.count == 1, "round \(round): \(replies)")
            #expect(replies.filter { $0.code == 450 }.count == 1, "round \(round): \(replies)")
        }
        let final = try a.send("CASE SHOW \(s.caseID)").records("case").first
        #expect(final?["version"] == "11")
        expectOK(try s.root.send("AUDIT VERIFY"))
    }

    /// Everything acknowledged survives a restart of the daemon.
    @Test(arguments: Backend.allCases)
    func persistsAcrossARestart(_ backend: Backend) throws {
        let s = try Scenario(backend)
        defer { s.daemon.stopBlocking() }  // whichever process runs when the test ends
        let lead = try s.client("lead")
        expectOK(try lead.send("CASE ATTACH \(s.caseID) document=report sha256=\(String(repeating: "c", count: 64)) title=\"Final report\""))
        expectOK(try s.client("qa").send("CASE SIGN \(s.caseID) submit meaning=approved password=\(Scenario.password)"))
        expectOK(try lead.send("CASE ADVANCE \(s.caseID) submit"))
        let before = try lead.send("CASE SHOW \(s.caseID)")
        #expect(s.daemon.stopBlocking() == 0)

        try s.daemon.startBlocking()
        let again = try s.client("lead")
        let after = try again.send("CASE SHOW \(s.caseID)")
        #expect(after.records("case").first?["version"] == "4")
        #expect(after.records("case").first?["state"] == "review")
        #expect(after.records("case") == before.records("case"))
        expectOK(try s.daemon.client().send("AUDIT VERIFY"))
    }

    /// An audit row changed directly in PostgreSQL (triggers disabled by a
    /// superuser) and a chain cut short are both found by AUDIT VERIFY.
    @Test func tamperingInPostgresIsFound() throws {
        let s = try Scenario(.postgres)
        defer { s.daemon.stopBlocking() }
        let lead = try s.client("lead")
        let other = try lead.send("CASE OPEN template=small title=Second attr.sponsor=S")
        let second = try #require(other.records("case").first?["id"])
        for i in 1...3 {
            expectOK(try lead.send("CASE NOTE \(s.caseID) text=\"n\(i)\""))
            expectOK(try lead.send("CASE NOTE \(second) text=\"n\(i)\""))
        }
        let superuser = try PostgresConnection(s.daemon.database)
        try superuser.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
        try superuser.execute("UPDATE audit_events SET actor = 'mallory' WHERE chain = $1 AND seq = 2", [.text(s.caseID)])
        try superuser.execute("DELETE FROM audit_events WHERE chain = $1 AND seq = 4", [.text(second)])
        let reply = try s.root.send("AUDIT VERIFY")
        expectError(reply, 557, "audit-broken")
        let broken = Dictionary(reply.records("broken").map { ($0["chain"] ?? "", $0["seq"] ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(broken[s.caseID] == "2")
        #expect(broken[second] == "4")
        expectError(try s.root.send("AUDIT VERIFY \(second)"), 557, "audit-broken")
    }
}
