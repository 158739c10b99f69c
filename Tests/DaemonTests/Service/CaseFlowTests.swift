import AuditLog
import ControlProtocol
import Foundation
import Storage
import Testing
@testable import Daemon

@Suite struct CaseFlowTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shipped gene-therapy template, published over the protocol and
    /// walked from discovery to development planning.
    @Test(arguments: Backend.allCases)
    func geneTherapyFlow(_ backend: Backend) async throws {
        let f = try await ServiceFixture.make(backend)
        let yaml = try String(contentsOf: Self.repository.appendingPathComponent("Workflows/gene-therapy.yaml"), encoding: .utf8)
        let put = try await f.run("+TEMPLATE PUT", data: yaml, as: "root")
        #expect(put.code == .ok && put.status?["template"] == "gene-therapy", "\(put.reply)")
        try await f.addUser("lead", roles: ["project-lead"])
        try await f.addUser("ra", roles: ["regulatory-affairs"])

        let open = try await f.run("""
            CASE OPEN template=gene-therapy title="AAV9 for SMA" attr.atmp-class=gene-therapy attr.approach=in-vivo \
            attr.sponsor="Acme AB" attr.product=AAV9-SMN attr.member-state=SE
            """, as: "lead")
        let id = try #require(open.records("case").first?["id"], "\(open.reply)")
        #expect(open.records("case").first?["state"] == "discovery" && open.records("case").first?["version"] == "1")

        let early = try await f.run("CASE ADVANCE \(id) request-classification", as: "lead")
        #expect(early.code == .requirementsUnmet)
        #expect(early.records("missing").map { $0["kind"] } == ["document", "document", "signature"])
        #expect(early.records("missing").last?["role"] == "regulatory-affairs")

        let steps: [(String, String)] = [
            ("lead", "CASE ATTACH \(id) document=target-product-profile sha256=\(hexA) uri=file:///tpp.pdf title=TPP"),
            ("lead", "CASE ATTACH \(id) document=classification-request sha256=\(hexA)"),
            ("ra", "CASE SIGN \(id) request-classification meaning=responsible password=\"correct horse\""),
            ("lead", "CASE ADVANCE \(id) request-classification reason=\"ready\" expect=4"),
            ("ra", "CASE ATTACH \(id) document=classification-recommendation sha256=\(hexA)"),
            ("ra", "CASE ADVANCE \(id) recommendation-received"),
            ("lead", "CASE SIGN \(id) confirmed-gene-therapy meaning=reviewed password=\"correct horse\""),
            ("ra", "CASE ADVANCE \(id) confirmed-gene-therapy"),
        ]
        var version = 1
        for (user, line) in steps {
            let outcome = try await f.run(line, as: user)
            version += 1
            #expect(outcome.code == .ok, "\(line): \(outcome.reply)")
            #expect(outcome.records("case").first?["version"] == String(version), "\(line)")
        }
        let show = try await f.run("CASE SHOW \(id)", as: "lead")
        let record = try #require(show.records("case").first)
        #expect(record["state"] == "development-planning" && record["stage"] == "scientific-advice")
        #expect(record["attr.sponsor"] == "Acme AB" && record["hold"] == "false" && record["final"] == "false")
        #expect(show.records("document").count == 3)
        #expect(show.records("clock").first { $0["name"] == "classification" }?["status"] == "stopped")
        let next = show.records("next")
        #expect(next.contains { $0["transition"] == "start-non-clinical" && $0["ready"] == "true" })
        #expect(next.contains { $0["transition"] == "request-prime" && $0["ready"] == "false"
            && $0["missing"]?.contains("document:prime-eligibility-request") == true })

        let trail = try await f.run("AUDIT TRAIL \(id)", as: "lead")
        let lines = try #require(trail.reply.records.first?.data).split(separator: "\n")
        #expect(lines.count == version && trail.status?["events"] == String(version))
        let last = try AuditEvent(jsonLine: Array(lines.last!.utf8))
        #expect(trail.status?["head"] == last.hash && last.hasValidHash)
        let verify = try await f.run("AUDIT VERIFY \(id)", as: "lead")
        #expect(verify.code == .ok && verify.status?["events"] == String(version))
    }

    @Test func showListsEverythingAboutTheCase() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        try await f.addUser("bob", roles: ["reviewer"])
        let id = try await f.openTrialCase()
        #expect(try await f.run("CASE SIGN \(id) submit meaning=reviewed password=\"correct horse\"", as: "bob").code == .ok)
        let show = try await f.run("CASE SHOW \(id)", as: "alice")
        let signature = try #require(show.records("signature").first)
        #expect(signature["signer"] == "bob" && signature["role"] == "reviewer" && signature["meaning"] == "reviewed")
        #expect(signature["record"]?.count == 64)
        let next = try #require(show.records("next").first)
        #expect(next["transition"] == "submit" && next["to"] == "review" && next["ready"] == "false")
        #expect(next["missing"] == "attribute:phase=two,document:protocol")
    }

    @Test func holdResumeNoteSet() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let id = try await f.openTrialCase()
        #expect(try await f.run("CASE HOLD \(id) reason=\"waiting for CAT\"", as: "alice").code == .ok)
        #expect(try await f.run("CASE SHOW \(id)", as: "alice").records("case").first?["hold"] == "waiting for CAT")
        #expect(try await f.run("CASE SET \(id) attr.phase=two reason=x", as: "alice").code == .notAllowedNow)
        #expect(try await f.run("CASE NOTE \(id) text=\"still waiting\"", as: "alice").code == .ok)
        #expect(try await f.run("CASE RESUME \(id) reason=back", as: "alice").code == .ok)
        let set = try await f.run("CASE SET \(id) attr.phase=two attr.sponsor=\"Beta AB\" reason=\"new sponsor\"", as: "alice")
        #expect(set.code == .ok && set.records("case").first?["version"] == "5")
        #expect(try await f.run("CASE SET \(id) reason=nothing", as: "alice").code == .badArgument)
        #expect(try await f.run("CASE SET \(id) attr.colour=red reason=x", as: "alice").code == .badArgument)
        #expect(try await f.run("CASE SET \(id) attr.phase=two", as: "alice").code == .badArgument)
        let event = try #require(try await f.store.trail(chain: id, from: 5, limit: 1).first)
        #expect(event.action == "case.attributes-changed")
        #expect(event.data["changes"]?.objectValue?["sponsor"]?.objectValue?["old"] == .string("Acme"))
    }

    @Test func injectionStringsAreStoredVerbatim() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let nasty = "Robert'); DROP TABLE cases;-- \"quoted\" \\ back\nnew 250 OK line ünïcødé"
        let id = try await f.openTrialCase(title: nasty)
        let note = String(String(decoding: RequestEncoder.encode(
            Request(verb: ["CASE", "NOTE"], positional: [id], keyed: [Field("text", nasty)])), as: UTF8.self).dropLast())
        #expect(try await f.run(note, as: "alice").code == .ok)
        let show = try await f.run("CASE SHOW \(id)", as: "alice")
        #expect(show.records("case").first?["title"] == nasty)
        let event = try #require(try await f.store.trail(chain: id, from: 2, limit: 1).first)
        #expect(event.data["text"] == .string(nasty))
        #expect(try await f.store.listCases(CaseQuery(now: f.clock.now)).count == 1)
    }

    @Test func errorsOfChanges() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        try await f.addUser("bob", roles: ["reviewer"])
        let id = try await f.openTrialCase()
        #expect(try await f.run("CASE ADVANCE C-999999 submit", as: "alice").code == .notFound)
        #expect(try await f.run("CASE ADVANCE \(id) nowhere", as: "alice").code == .notFound)
        // bob holds a template role but not the transition's: the engine says 551.
        #expect(try await f.run("CASE ADVANCE \(id) submit", as: "bob").code == .forbidden)
        let unmet = try await f.run("CASE ADVANCE \(id) submit", as: "alice")
        #expect(unmet.code == .requirementsUnmet)
        let missing = unmet.records("missing")
        #expect(missing.count == 3)
        #expect(missing[0]["kind"] == "attribute" && missing[0]["attribute"] == "phase" && missing[0]["allowed"] == "two")
        #expect(missing[0]["actual"] == nil)
        #expect(missing[1]["kind"] == "document" && missing[1]["document"] == "protocol")
        #expect(missing[2]["kind"] == "signature" && missing[2]["needed"] == "1" && missing[2]["have"] == "0")
        for bad in ["sha256=abc", "sha256=\(String(repeating: "g", count: 64))"] {
            #expect(try await f.run("CASE ATTACH \(id) document=protocol \(bad)", as: "alice").code == .badArgument)
        }
        #expect(try await f.run("CASE ATTACH \(id) document=nothing sha256=\(hexA)", as: "alice").code != .ok)
        #expect(try await f.run("CASE ADVANCE \(id)", as: "alice").code == .badArgument)
        #expect(try await f.run("CASE ADVANCE \(id) submit colour=red", as: "alice").reply.error?.message
            .contains("colour") == true)
        #expect(try await f.run("CASE ADVANCE \(id) submit expect=x", as: "alice").code == .badArgument)
        #expect(try await f.run("CASE OPEN template=trial title=T", as: "alice").code == .badArgument)
        #expect(try await f.run("CASE OPEN template=trial title=T attr.sponsor=A version=7", as: "alice").code == .notFound)
        #expect(try await f.run("CASE OPEN template=trial title=T attr.sponsor=A version=0", as: "alice").code == .badArgument)
        #expect(try await f.run("CASE OPEN template=ghost title=T", as: "alice").code == .notFound)
        #expect(try await f.run("CASE FROB \(id)", as: "alice").code == .syntaxError)
        // Final case: only notes.
        #expect(try await f.run("CASE SET \(id) attr.phase=two reason=r", as: "alice").code == .ok)
        #expect(try await f.run("CASE ATTACH \(id) document=protocol sha256=\(hexA)", as: "alice").code == .ok)
        #expect(try await f.run("CASE SIGN \(id) submit meaning=reviewed password=\"correct horse\"", as: "bob").code == .ok)
        #expect(try await f.run("CASE ADVANCE \(id) submit", as: "alice").code == .ok)
        #expect(try await f.run("CASE ADVANCE \(id) approve", as: "bob").code == .ok)
        #expect(try await f.run("CASE HOLD \(id) reason=x", as: "bob").code == .notAllowedNow)
    }

    @Test func signingWithAWrongPasswordIs535AndAudited() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        try await f.addUser("bob", roles: ["reviewer"])
        let id = try await f.openTrialCase()
        let outcome = try await f.run("CASE SIGN \(id) submit meaning=reviewed password=wrong", as: "bob")
        #expect(outcome.code == .authFailed && outcome.delay != nil)
        let last = try #require(try await f.store.trail(chain: "system", from: 1, limit: 100).last)
        #expect(last.action == "auth.failed" && last.data["user"] == .string("bob"))
        #expect(try await f.store.loadCase(id: id)?.case.version == 1)
    }

    @Test func signingCountsTowardsTheUsersLockAndIsRefusedWhileLocked() async throws {
        let f = try await ServiceFixture.make { $0.maxAuthFailuresPerUser = 2 }
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        try await f.addUser("bob", roles: ["reviewer"])
        let id = try await f.openTrialCase()
        for _ in 0..<2 {
            #expect(try await f.run("CASE SIGN \(id) submit meaning=reviewed password=wrong", as: "bob").code == .authFailed)
        }
        // Locked: the right password is not even checked, and nothing is signed.
        let locked = try await f.run("CASE SIGN \(id) submit meaning=reviewed password=\"correct horse\"", as: "bob")
        #expect(locked.code == .authFailed)
        #expect(try await f.store.loadCase(id: id)?.case.signatures.isEmpty == true)
        let last = try #require(try await f.store.trail(chain: "system", from: 1, limit: 100).last)
        #expect(last.data["reason"] == .string("too many recent failures for this user"))
    }

    @Test func expectAndConflicts() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let id = try await f.openTrialCase()
        #expect(try await f.run("CASE NOTE \(id) text=a expect=2", as: "alice").code == .versionConflict)
        #expect(try await f.run("CASE NOTE \(id) text=a expect=1", as: "alice").code == .ok)
        #expect(try await f.run("CASE NOTE \(id) text=a expect=1", as: "alice").code == .versionConflict)
        #expect(try await f.store.loadCase(id: id)?.case.version == 2)
    }

    @Test func concurrentChangesAllLandWithoutExpect() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let id = try await f.openTrialCase()
        let codes = await withTaskGroup(of: ReplyCode.self) { group in
            for i in 0..<4 {
                group.addTask { (try? await f.run("CASE NOTE \(id) text=n\(i)", as: "alice").code) ?? .syntaxError }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        // Each either landed or, after its one retry, was told 450; never anything else.
        #expect(codes.allSatisfy { $0 == .ok || $0 == .versionConflict })
        let landed = codes.filter { $0 == .ok }.count
        #expect(try await f.store.loadCase(id: id)?.case.version == Int64(1 + landed))
        #expect(try await f.run("AUDIT VERIFY \(id)", as: "root").code == .ok)
    }
}
