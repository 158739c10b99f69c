import AuditLog
import ControlProtocol
import Storage
import Testing
@testable import Daemon

@Suite struct ListAuditWatchTests {
    @Test func listFiltersPaginatesAndHidesOtherTemplates() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        try await f.addUser("olga", roles: ["outsider"])
        try await f.addUser("reg", roles: ["regulator"])
        var ids: [String] = []
        for i in 0..<3 { ids.append(try await f.openTrialCase(title: "T\(i)")) }
        let other = try #require(try await f.run("CASE OPEN template=other title=O", as: "olga").records("case").first?["id"])
        #expect(try await f.run("CASE HOLD \(ids[1]) reason=x", as: "alice").code == .ok)

        #expect(try await f.run("CASE LIST", as: "alice").status?["count"] == "3")
        #expect(try await f.run("CASE LIST", as: "olga").records("case").map { $0["id"] } == [other])
        #expect(try await f.run("CASE LIST", as: "reg").status?["count"] == "4")
        #expect(try await f.run("CASE SHOW \(ids[0])", as: "olga").code == .notFound)

        let page = try await f.run("CASE LIST limit=2", as: "alice")
        #expect(page.records("case").map { $0["id"] } == Array(ids.prefix(2)) && page.status?["next"] == ids[1])
        let rest = try await f.run("CASE LIST limit=2 after=\(ids[1])", as: "alice")
        #expect(rest.records("case").map { $0["id"] } == [ids[2]] && rest.status?["next"] == nil)
        #expect(try await f.run("CASE LIST hold=true", as: "reg").records("case").map { $0["id"] } == [ids[1]])
        #expect(try await f.run("CASE LIST template=other", as: "reg").status?["count"] == "1")
        #expect(try await f.run("CASE LIST state=draft overdue=false", as: "reg").status?["count"] == "3")
        for bad in ["limit=1001", "limit=0", "limit=x", "hold=yes", "overdue=1", "colour=red"] {
            #expect(try await f.run("CASE LIST \(bad)", as: "reg").code == .badArgument, "\(bad)")
        }
        #expect(try await f.run("CASE LIST limit=1000", as: "reg").code == .ok)
    }

    @Test func trailAndVerify() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let id = try await f.openTrialCase()
        for i in 0..<4 { try await f.run("CASE NOTE \(id) text=n\(i)", as: "alice") }
        let trail = try await f.run("AUDIT TRAIL \(id) from=2 limit=2", as: "root")
        let lines = try #require(trail.reply.records.first?.data).split(separator: "\n")
        #expect(lines.count == 2 && trail.status?["events"] == "2")
        #expect(try AuditEvent(jsonLine: Array(lines[0].utf8)).seq == 2)
        let head = try await f.store.chainHead(id)
        #expect(trail.status?["head"] == head?.hash)
        for bad in ["from=0", "limit=0", "limit=10001", "from=x"] {
            #expect(try await f.run("AUDIT TRAIL \(id) \(bad)", as: "root").code == .badArgument)
        }
        #expect(try await f.run("AUDIT TRAIL C-999999", as: "root").code == .notFound)
        let all = try await f.run("AUDIT VERIFY", as: "root")
        #expect(all.code == .ok && all.status?["chains"] == "2")
    }

    @Test func exportHoldsTheWholeCaseAndVerifies() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        try await f.addUser("rita", roles: ["reviewer"])
        try await f.addUser("reg", roles: ["regulator"])
        let id = try await f.openTrialCase()
        try await f.run("CASE SET \(id) attr.phase=two reason=\"phase two\"", as: "alice")
        try await f.run("CASE ATTACH \(id) document=protocol sha256=\(hexA) title=Protocol", as: "alice")
        try await f.run("CASE SIGN \(id) submit meaning=reviewed password=\"\(ServiceFixture.password)\"", as: "rita")
        #expect(try await f.run("CASE ADVANCE \(id) submit", as: "alice").code == .ok)
        try await f.run("CASE HOLD \(id) reason=deviation", as: "alice")

        func export() async throws -> (ReplyRecord, CaseExportReport) {
            let outcome = try await f.run("AUDIT EXPORT CASE \(id)", as: "reg")
            let record = try #require(outcome.records("export").first, "\(outcome.reply)")
            let report = CaseExportVerifier.verify(Array((record.data ?? "").utf8), expectedHead: record["head"])
            return (record, report)
        }
        let (held, heldReport) = try await export()
        #expect(heldReport.problems == [])
        #expect(held["events"] == "6" && heldReport.events == 6 && heldReport.signatures == 1)
        #expect(held["head"] == (try await f.store.chainHead(id))?.hash)
        #expect(held.data?.contains(#""hold":{"by":"alice","reason":"deviation""#) == true)
        #expect(held.data?.contains(#""state":"review""#) == true)

        try await f.run("CASE RESUME \(id) reason=closed", as: "alice")
        let (resumed, resumedReport) = try await export()
        #expect(resumedReport.problems == [])
        #expect(resumed["events"] == "7" && resumed.data?.contains(#""hold":null"#) == true)
        #expect(try await f.run("AUDIT EXPORT CASE C-999999", as: "reg").code == .notFound)
        #expect(try await f.run("AUDIT EXPORT CHAIN \(id)", as: "reg").code == .badArgument)
        #expect(try await f.run("AUDIT EXPORT CASE", as: "reg").code == .badArgument)
    }

    @Test func brokenChainIs557() async throws {
        let f = try await ServiceFixture.make(interposed: true)
        try await f.publishTemplates()
        f.interposed?.verification.withLock {
            $0 = StorageVerification(chains: 2, events: 9, broken: [
                BrokenChain(chain: "C-000001", seq: 2, reason: "hash mismatch"),
                BrokenChain(chain: "system", seq: 5, reason: "prev does not match"),
            ])
        }
        let outcome = try await f.run("AUDIT VERIFY", as: "root")
        #expect(outcome.code == .auditBroken && outcome.errorKey == "audit-broken")
        let broken = outcome.records("broken")
        #expect(broken.map { $0["chain"] } == ["C-000001", "system"])
        #expect(broken[0]["seq"] == "2" && broken[0]["reason"] == "hash mismatch")
    }

    @Test func storageFailureOnCommitIs451AndWritesNothing() async throws {
        let f = try await ServiceFixture.make(interposed: true)
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let id = try await f.openTrialCase()
        f.interposed?.commitFailure.withLock { $0 = StoreError(.constraint, "trigger said no") }
        let outcome = try await f.run("CASE NOTE \(id) text=x", as: "alice")
        #expect(outcome.code == .storageUnavailable)
        #expect(try await f.store.loadCase(id: id)?.case.version == 1)
    }

    @Test func watchSetsTheScopeAndEventsArePublished() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let subscription = f.hub.subscribe(.template("trial"))
        let id = try await f.openTrialCase()
        var session = f.session("alice")
        #expect(try await f.run("WATCH case=\(id)", &session).code == .ok && session.watch == .caseID(id))
        #expect(try await f.run("WATCH template=trial", &session).code == .ok && session.watch == .template("trial"))
        #expect(try await f.run("WATCH case=\(id) template=trial", &session).code == .badArgument)
        #expect(try await f.run("WATCH everything", &session).code == .badArgument)
        #expect(try await f.run("WATCH template=ghost", &session).code == .notFound)
        #expect(try await f.run("UNWATCH", &session).code == .ok && session.watch == nil)
        var root = f.session("root")
        #expect(try await f.run("WATCH", &root).code == .ok && root.watch == .all)

        var iterator = subscription.events.makeAsyncIterator()
        let opened = await iterator.next()
        #expect(opened?.action == "case.opened" && opened?.state == "draft" && opened?.template == "trial")
        subscription.cancel()
    }
}
