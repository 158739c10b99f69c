import AuditLog
import ControlProtocol
import Foundation
import Storage
import Testing
@testable import Daemon

/// What the trail says about when and who: time never runs backwards within
/// a chain even when the wall clock does, and the actor is always the signed-in
/// user — a client cannot name another.
@Suite struct TimeAndIdentityTests {
    @Test(arguments: Backend.allCases)
    func wallClockSteppingBackNeverMakesAChainRunBackwards(_ backend: Backend) async throws {
        let f = try await ServiceFixture.make(backend)
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        f.clock.advance(microseconds: 123_456)  // a fraction, so storage precision matters
        let id = try await f.openTrialCase()
        #expect(try await f.run("CASE NOTE \(id) text=first", as: "alice").code == .ok)

        // NTP (or an operator) steps the clock back an hour.
        f.clock.advance(seconds: -3_600)
        #expect(try await f.run("CASE NOTE \(id) text=second", as: "alice").code == .ok)
        // Back further, through another instance that reads the case from the store, not its cache.
        f.clock.advance(seconds: -3_600)
        let second = try await f.secondInstance()
        var session = f.session("alice")
        let request = try #require(try RequestParser().parse("CASE NOTE \(id) text=third"))
        #expect(await second.handle(request, data: nil, session: &session).reply.code == .ok)

        let events = try await f.store.trail(chain: id, from: 1, limit: 100)
        #expect(events.count == 4)
        for (earlier, later) in zip(events, events.dropFirst()) {
            #expect(later.at >= earlier.at, "seq \(later.seq) at \(later.at.rfc3339) is before seq \(earlier.seq) at \(earlier.at.rfc3339)")
        }
        #expect(try await f.run("AUDIT VERIFY", as: "root").code == .ok)

        // The system chain too (auth.failed is stamped with the clock as well).
        var anonymous = f.session(nil)
        _ = try await f.run("AUTH user=alice password=wrong", &anonymous)
        f.clock.advance(seconds: -86_400)
        _ = try await f.run("AUTH user=alice password=wrong", &anonymous)
        let system = try await f.store.trail(chain: AuditEvent.systemChain, from: 1, limit: 1_000)
        for (earlier, later) in zip(system, system.dropFirst()) {
            #expect(later.at >= earlier.at, "system seq \(later.seq) runs backwards")
        }
    }

    /// actor, role, at and the chain fields are not arguments of any change:
    /// 501, and nothing of them reaches the trail.
    @Test(arguments: Backend.allCases)
    func clientCannotNameTheActorRoleOrTime(_ backend: Backend) async throws {
        let f = try await ServiceFixture.make(backend)
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let id = try await f.openTrialCase()
        let forged = [
            "CASE NOTE \(id) text=x actor=mallory",
            "CASE NOTE \(id) text=x role=reviewer",
            "CASE NOTE \(id) text=x at=2000-01-01T00:00:00.000000Z",
            "CASE NOTE \(id) text=x seq=1",
            "CASE NOTE \(id) text=x prev=\(String(repeating: "0", count: 64))",
            "CASE SET \(id) attr.phase=two actor=mallory",
            "CASE HOLD \(id) reason=r actor=mallory",
            "CASE OPEN template=trial title=T attr.sponsor=A actor=mallory",
            "CASE OPEN template=trial title=T attr.sponsor=A at=2000-01-01T00:00:00.000000Z",
            "CASE ADVANCE \(id) submit actor=mallory",
            "USER ADD eve roles=admin password=secret-password actor=mallory",
        ]
        for line in forged {
            let user = line.hasPrefix("USER") ? "root" : "alice"
            let outcome = try await f.run(line, as: user)
            #expect(outcome.code == .badArgument, "\(line): \(outcome.reply)")
        }
        #expect(try await f.run("CASE NOTE \(id) text=real", as: "alice").code == .ok)

        let trail = try await f.store.trail(chain: id, from: 1, limit: 100)
        #expect(trail.count == 2)
        #expect(trail.allSatisfy { $0.actor == "alice" && $0.role == "author" })
        #expect(trail.allSatisfy { $0.at.microseconds > 1_000_000_000_000_000 })  // not the year 2000
        let system = try await f.store.trail(chain: AuditEvent.systemChain, from: 1, limit: 1_000)
        for event in trail + system {
            let json = String(decoding: event.canonicalJSON(includingHash: true), as: UTF8.self)
            #expect(!json.contains("mallory"), "\(json)")
        }
        let users = try await f.run("USER LIST", as: "root")
        #expect(users.code == .ok && !users.records("user").contains { $0["name"] == "eve" }, "\(users.reply)")
    }
}
