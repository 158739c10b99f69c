import ControlProtocol
import Foundation
import Testing

/// Hostile and broken input through the real socket: each gets its code and
/// error key, the daemon keeps serving, and nothing is half-written.
@Suite("Bad input over the socket", .serialized)
struct BadInputTests {
    @Test func malformedRequestsGetTheirCodes() throws {
        let s = try Scenario(.sqlite)
        defer { s.daemon.stopBlocking() }
        let c = try s.client("lead")
        expectError(try c.send("FROBNICATE now"), 500, "unknown-command")
        expectError(try c.send("CASE FROBNICATE \(s.caseID)"), 500, "unknown-command")
        expectError(try c.send("CASE NOTE \(s.caseID) text=\"unbalanced"), 500, "syntax")
        expectError(try c.send("CASE SHOW \(s.caseID) colour=red"), 501, "bad-argument")
        expectError(try c.send("CASE NOTE"), 501, "bad-argument")

        // Invalid UTF-8 and a NUL: 500 bad-encoding, and the connection stays usable.
        try c.write([0x50, 0x49, 0x4E, 0x47, 0x20, 0xFF, 0xFE, 0x0A])
        expectError(try c.readReply(), 500, "bad-encoding")
        try c.write(Array("PING\u{0}\n".utf8))
        expectError(try c.readReply(), 500, "bad-encoding")
        #expect(try c.send("PING").okFields?.words == ["pong"])

        // Empty lines are ignored; CRLF is accepted.
        try c.write(Array("\n\r\n\nPING\r\n".utf8))
        #expect(try c.readReply().code == .ok)
    }

    @Test func anOverLongLineClosesTheConnectionOnly() throws {
        let s = try Scenario(.sqlite)
        defer { s.daemon.stopBlocking() }
        let c = try s.client("lead")
        try c.write(Array(("CASE NOTE \(s.caseID) text=" + String(repeating: "x", count: 17_000) + "\n").utf8))
        expectError(try c.readReply(), 500, "line-too-long")
        #expect(c.isClosedByServer())
        // Nothing was noted, and everyone else is served.
        let other = try s.client("lead")
        #expect(try other.send("CASE SHOW \(s.caseID)").records("case").first?["version"] == "1")
    }

    @Test func injectionStringsAreStoredVerbatim() throws {
        let s = try Scenario(.postgres)
        defer { s.daemon.stopBlocking() }
        let c = try s.client("lead")
        let hostile = "Robert'); DROP TABLE cases; -- $1 %s \\ \"quoted\" 🧬"
        let opened = try c.send("CASE OPEN template=small title=\(Quoting.quotedIfNeeded(hostile)) attr.sponsor=\(Quoting.quotedIfNeeded(hostile))")
        expectOK(opened)
        let id = try #require(opened.records("case").first?["id"])
        let shown = try c.send("CASE SHOW \(id)").records("case").first
        #expect(shown?["title"] == hostile)
        #expect(shown?["attr.sponsor"] == hostile)
        expectOK(try c.send("CASE NOTE \(id) text=\(Quoting.quotedIfNeeded(hostile))"))
        let trail = try s.root.send("AUDIT TRAIL \(id)")
        #expect(trail.records.first?.data?.contains("DROP TABLE cases") == true)
        expectOK(try s.root.send("AUDIT VERIFY"))
    }
}
