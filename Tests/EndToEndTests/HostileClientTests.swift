import ControlProtocol
import Foundation
import SocketTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Clients that try to hurt the daemon on purpose, against a real atmpd:
/// each is refused or cut off, and everyone else is still served.
@Suite("Hostile clients", .serialized)
struct HostileClientTests {
    /// Past --max-connections every new connection is greeted with 452 and
    /// closed; the held connections cost the others nothing.
    @Test func connectionFloodIsTurnedAwayAndOthersStayServed() throws {
        let s = try Scenario(.sqlite, extraArguments: ["--max-connections", "8"])
        defer { s.daemon.stopBlocking() }
        let existing = try ProtocolClient(socket: s.daemon.socket, timeoutSeconds: 5)
        try existing.authenticate("lead", Scenario.password)

        var held: [ProtocolClient] = []
        var refused = 0
        for _ in 0..<40 {
            let c = try ProtocolClient(socket: s.daemon.socket, timeoutSeconds: 5)
            if c.greeting?.code == 452 {
                #expect(c.greeting?.errorKey == "too-busy")
                #expect(c.isClosedByServer())
                refused += 1
            } else {
                #expect(c.greeting?.code == 220)
                held.append(c)
            }
        }
        // Scenario's root plus `existing` already hold two of the eight.
        #expect(held.count <= 6)
        #expect(refused >= 34)
        // While the flood is held open, existing connections are answered (5 s read timeout).
        for _ in 0..<5 { #expect(try existing.send("PING").okFields?.words == ["pong"]) }
        expectOK(try existing.send("CASE NOTE \(s.caseID) text=\"during the flood\""))
        held.removeAll()
        // Once the flood lets go, new connections are taken again.
        #expect(poll(seconds: 10) { (try? ProtocolClient(socket: s.daemon.socket, timeoutSeconds: 5))?.greeting?.code == 220 })
    }

    /// A client that sends half a line and waits holds up nobody.
    @Test func halfSentLineBlocksNobodyElse() throws {
        let s = try Scenario(.sqlite)
        defer { s.daemon.stopBlocking() }
        let slow = try s.client("lead")
        try slow.write(Array("CASE NOTE \(s.caseID) text=\"half a li".utf8))  // no LF
        let other = try ProtocolClient(socket: s.daemon.socket, timeoutSeconds: 5)
        try other.authenticate("lead2", Scenario.password)
        #expect(try other.send("PING").code == .ok)
        let noted = try other.send("CASE NOTE \(s.caseID) text=\"meanwhile\"")
        expectOK(noted)
        #expect(noted.records("case").first?["version"] == "2")
        // The rest of the line arrives much later: it is one request, taken whole.
        try slow.write(Array("ne\"\n".utf8))
        let finished = try slow.readReply()
        expectOK(finished)
        #expect(finished.records("case").first?["version"] == "3")
        let events = try trail(s.caseID, s.root)
        #expect(events.last?.text == "half a line")
    }

    /// Random bytes — NULs, invalid UTF-8, stray `+` lines — get error
    /// replies or a closed connection, never a crash or a malformed reply.
    @Test func randomBytesGetErrorsNeverACrash() throws {
        let s = try Scenario(.sqlite)
        defer { s.daemon.stopBlocking() }
        var random = SplitMix64(seed: 0xA7_6D_2026)
        for round in 0..<40 {
            let c = try ProtocolClient(socket: s.daemon.socket, timeoutSeconds: 5)
            if round % 2 == 1 { try c.authenticate("lead", Scenario.password) }
            var bytes = (0..<Int(random.next() % 3_000)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            // Sprinkle line ends so several "requests" are parsed, and a few of the interesting bytes.
            for _ in 0..<8 {
                guard !bytes.isEmpty else { break }
                let i = Int(random.next() % UInt64(bytes.count))
                bytes[i] = [0x0A, 0x00, 0xFF, 0x2B, 0x22, 0x2E][Int(random.next() % 6)]
            }
            try c.write(bytes + [0x0A])
            shutdown(c.fd, Int32(SHUT_WR))
            // Every reply up to the close must parse and be an error.
            while true {
                do {
                    let reply = try c.readReply()
                    #expect(reply.code.rawValue >= 500, "round \(round): \(reply)")
                } catch let error as ClientError {
                    #expect(error == .closed || error.description.contains("errno \(ECONNRESET)"),
                            "round \(round): \(error)")
                    break
                }
            }
        }
        #expect(s.daemon.isRunning)
        let after = try s.client("lead")
        #expect(try after.send("PING").code == .ok)
        #expect(try after.send("CASE SHOW \(s.caseID)").records("case").first?["version"] == "1")
        expectOK(try s.daemon.client().send("AUDIT VERIFY"))
    }

    /// A data block over 1 MiB is read to its end and refused; the connection goes on.
    @Test func templateOverOneMiBIsRefused() throws {
        let s = try Scenario(.sqlite)
        defer { s.daemon.stopBlocking() }
        let padding = (0..<25_000).map { "# padding line \($0) to make the template large\n" }.joined()
        let huge = smallTemplate.replacingOccurrences(of: "template: small", with: "template: huge") + "\n" + padding
        #expect(huge.utf8.count > 1 << 20)
        expectError(try s.root.send("+TEMPLATE PUT", data: huge), 501, "bad-argument")
        #expect(try s.root.send("PING").okFields?.words == ["pong"])
        expectError(try s.root.send("TEMPLATE SHOW huge"), 550, "not-found")
    }

    /// Anchors and aliases (the "billion laughs") are refused before any expansion.
    @Test func aliasBombIsRefused() throws {
        let s = try Scenario(.sqlite)
        defer { s.daemon.stopBlocking() }
        var bomb = "template: bomb\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            bomb += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
            previous = name
        }
        let reply = try s.root.send("+TEMPLATE PUT", data: bomb)
        expectError(reply, 554, "invalid-template")
        #expect(reply.records("error").contains { $0["message"]?.contains("anchors") == true }, "\(reply)")
        #expect(!(try s.root.send("+TEMPLATE CHECK", data: bomb)).records("error").isEmpty)
        #expect(try s.root.send("PING").code == .ok)
    }

    /// Password guessing: each failure is slower, the connection is closed at
    /// the limit (5), and every failure is in the system chain.
    @Test func guessedPasswordsAreSlowedCutOffAndAudited() throws {
        let s = try Scenario(.sqlite)
        defer { s.daemon.stopBlocking() }
        let guesser = try ProtocolClient(socket: s.daemon.socket, timeoutSeconds: 10)
        var waits: [TimeInterval] = []
        for guess in 1...5 {
            let sent = Date()
            expectError(try guesser.send("AUTH user=lead password=guess\(guess)"), 535, "auth-failed")
            waits.append(Date().timeIntervalSince(sent))
        }
        #expect(guesser.isClosedByServer())
        // 100 ms, 200 ms, 400 ms, … at least (only the lower bound is behaviour).
        for (i, wait) in waits.enumerated() { #expect(wait >= 0.1 * Double(1 << i) * 0.9, "failure \(i + 1) took \(wait) s") }

        let system = try trail("system", s.root)
        let failed = system.filter { $0.action == "auth.failed" }
        #expect(failed.count == 5)
        let raw = try s.root.send("AUDIT TRAIL system").records("audit").first?.data ?? ""
        #expect(!raw.contains("guess1"))  // passwords never reach the trail
        // The real password still works on a new connection.
        #expect(try s.client("lead").send("PING").code == .ok)
    }

    /// A user disabled while signed in is refused at the next command.
    @Test func disabledUsersOpenSessionIsRefused() throws {
        let s = try Scenario(.sqlite)
        defer { s.daemon.stopBlocking() }
        let lead = try s.client("lead")
        expectOK(try lead.send("CASE NOTE \(s.caseID) text=before"))
        expectOK(try s.root.send("USER DISABLE lead"))
        expectError(try lead.send("CASE NOTE \(s.caseID) text=after"), 530, "auth-required")
        expectError(try lead.send("AUTH user=lead password=\(Scenario.password)"), 535, "auth-failed")
        #expect(try s.root.send("CASE SHOW \(s.caseID)").records("case").first?["version"] == "2")
    }
}
