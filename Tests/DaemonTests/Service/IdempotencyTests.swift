import ControlProtocol
import Testing
@testable import Daemon

@Suite struct IdempotencyTests {
    @Test(arguments: Backend.allCases)
    func repeatReplaysAndChangesNothing(_ backend: Backend) async throws {
        let f = try await ServiceFixture.make(backend)
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        try await f.addUser("bob", roles: ["author"])
        let open = "CASE OPEN template=trial title=T attr.sponsor=Acme idem=k1"
        let first = try await f.run(open, as: "alice")
        let again = try await f.run(open, as: "alice")
        #expect(first.code == .ok && again.reply == first.reply)
        #expect(try await f.store.listCases(.init(now: f.clock.now)).count == 1)
        // The key is per user: bob's k1 is another key.
        #expect(try await f.run(open, as: "bob").records("case").first?["id"] != first.records("case").first?["id"])

        let id = try #require(first.records("case").first?["id"])
        let note = "CASE NOTE \(id) text=once idem=k2"
        let noted = try await f.run(note, as: "alice")
        #expect(try await f.run("CASE NOTE \(id) text=other", as: "alice").code == .ok)
        // Replayed even though the case moved on: the first reply, version 2.
        let replay = try await f.run(note, as: "alice")
        #expect(replay.reply == noted.reply && replay.records("case").first?["version"] == "2")
        #expect(try await f.store.loadCase(id: id)?.case.version == 3)

        let mismatch = try await f.run("CASE NOTE \(id) text=different idem=k2", as: "alice")
        #expect(mismatch.code == .idempotencyMismatch)
    }

    @Test func keyExpiresAfterTTL() async throws {
        let f = try await ServiceFixture.make { $0.idempotencyTTLSeconds = 60 }
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let id = try await f.openTrialCase()
        #expect(try await f.run("CASE NOTE \(id) text=a idem=k", as: "alice").code == .ok)
        f.clock.advance(seconds: 61)
        #expect(try await f.run("CASE NOTE \(id) text=b idem=k", as: "alice").code == .ok)
        #expect(try await f.store.loadCase(id: id)?.case.version == 3)
    }

    @Test func digestIgnoresKeyOrderIdemAndPasswordButNotValues() throws {
        func digest(_ line: String) throws -> String {
            Idempotency.digest(try #require(try RequestParser().parse(line)))
        }
        let base = try digest("CASE SIGN C-1 go meaning=approved reason=r password=a idem=x")
        #expect(try digest("CASE SIGN C-1 go reason=r meaning=approved password=b idem=y") == base)
        #expect(try digest("CASE SIGN C-1 go meaning=approved reason=s password=a idem=x") != base)
        #expect(try digest("CASE SIGN C-2 go meaning=approved reason=r password=a idem=x") != base)
        // Length prefixes: moving text between items changes the digest.
        #expect(try digest("CASE NOTE ab text=c") != (try digest("CASE NOTE a text=bc")))
    }
}
