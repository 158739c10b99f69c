import AuditLog
import ControlProtocol
import Storage
import Testing
@testable import Daemon

@Suite struct OverdueAndStorageTests {
    @Test func overdueIsRaisedExactlyOncePerDeadline() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let id = try await f.openTrialCase()
        let subscription = f.hub.subscribe(.caseID(id))
        #expect(await f.service.raiseOverdue() == 0)
        f.clock.advance(seconds: 5 * 86_400)        // exactly the deadline: not yet
        #expect(await f.service.raiseOverdue() == 0)
        f.clock.advance(seconds: 1)
        #expect(await f.service.raiseOverdue() == 1)
        #expect(await f.service.raiseOverdue() == 0)
        f.clock.advance(seconds: 86_400)
        #expect(await f.service.raiseOverdue() == 0)
        let event = try #require(try await f.store.trail(chain: id, from: 2, limit: 1).first)
        #expect(event.action == "case.overdue" && event.actor == "system")
        #expect(try await f.run("CASE SHOW \(id)", as: "alice").records("case").first?["overdue"] == "true")
        #expect(try await f.run("CASE LIST overdue=true", as: "alice").status?["count"] == "1")
        var iterator = subscription.events.makeAsyncIterator()
        #expect(await iterator.next()?.action == "case.overdue")
        subscription.cancel()
    }

    @Test func closedStoreIs451() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        await f.store.close()
        let outcome = try await f.run("TEMPLATE LIST", as: "root")
        #expect(outcome.code == .storageUnavailable && outcome.errorKey == "storage-unavailable")
        #expect(await f.service.raiseOverdue() == 0)
    }

    @Test func storeErrorsMapToReplyCodes() {
        #expect(ServiceFailure(StoreError(.conflict, "x")).outcome.reply.code == .versionConflict)
        #expect(ServiceFailure(StoreError(.unavailable, "x")).outcome.reply.code == .storageUnavailable)
        #expect(ServiceFailure(StoreError(.notFound, "x")).outcome.reply.code == .notFound)
        for code in [StoreError.Code.constraint, .corrupt, .failure] {
            let reply = ServiceFailure(StoreError(code, "secret detail")).outcome.reply
            #expect(reply.code == .storageUnavailable && reply.error?.message.contains("secret detail") == false)
        }
    }

    @Test func unknownCommandsAndUnauthenticatedAccess() async throws {
        let f = try await ServiceFixture.make()
        var session = f.session(nil)
        #expect(await f.service.handle(Request(verb: ["FROB"]), data: nil, session: &session).reply.code == .syntaxError)
        #expect(try await f.run("USER LIST", &session).code == .authRequired)
        // Argument errors are not revealed before sign-in.
        #expect(try await f.run("USER LIST bogus=1", &session).code == .authRequired)
    }
}
