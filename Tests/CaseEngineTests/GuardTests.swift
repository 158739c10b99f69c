import AuditLog
import Testing
import Workflow

@testable import CaseEngine

/// The checks every change passes: final, on hold, holds a template role.
@Suite struct GuardTests {
    @Test func regulatorsAndAdminsCannotChangeACase() {
        var h = Harness.opened()
        for principal in [Fixture.regulator, Fixture.admin] {
            #expect(h.refusal(.note(text: "hi"), by: principal)?.code == .forbidden)
            #expect(h.refusal(.hold(reason: "r"), by: principal)?.code == .forbidden)
            #expect(h.refusal(.attach(Attachment(kind: "tpp", sha256: Fixture.hex)), by: principal)?.code == .forbidden)
        }
    }

    @Test func aRegulatorWhoAlsoHoldsATemplateRoleMayAct() {
        var h = Harness.opened()
        let both = Principal(name: "rq", roles: [SystemRole.regulator, "qa"])
        h.must(.note(text: "hi"), by: both)
        #expect(h.events.last?.role == "qa")
    }

    @Test func eventRoleIsTheFirstTemplateRoleInTemplateOrder() {
        var h = Harness.opened()
        h.must(.note(text: "hi"), by: Principal(name: "z", roles: ["hospital", "qp", "admin"]))
        #expect(h.events.last?.role == "qp")
    }

    @Test func heldCaseAcceptsOnlyResumeAndNote() {
        var h = Harness.opened()
        h.now = Timestamp(seconds: 1_800_000_000)  // 2027-01-15T08:00:00Z
        h.must(.hold(reason: "awaiting funding"), by: Fixture.lead)
        #expect(h.c.hold == Hold(reason: "awaiting funding", since: h.now, by: "lena"))
        let r = h.refusal(.attach(Attachment(kind: "tpp", sha256: Fixture.hex)), by: Fixture.lead)
        #expect(r?.code == .notAllowedNow)
        #expect(r?.message.contains("on hold since 2027-01-15T08:00:00Z by lena: awaiting funding") == true)
        #expect(h.refusal(.advance(transition: "abandon", reason: "x"), by: Fixture.lead)?.code == .notAllowedNow)
        #expect(h.refusal(.sign(transition: "classify", meaning: "approved", reason: nil), by: Fixture.qa)?.code == .notAllowedNow)
        #expect(h.refusal(.setAttributes(["sponsor": "B"], reason: "r"), by: Fixture.lead)?.code == .notAllowedNow)
        #expect(h.refusal(.hold(reason: "again"), by: Fixture.lead)?.code == .notAllowedNow)
        h.must(.note(text: "still waiting"), by: Fixture.qa)
        h.must(.resume(reason: "funded"), by: Fixture.ra)
        #expect(h.c.hold == nil)
        h.must(.attach(Attachment(kind: "tpp", sha256: Fixture.hex)), by: Fixture.lead)
    }

    @Test func holdAndResumeNeedReasons() {
        var h = Harness.opened()
        #expect(h.refusal(.hold(reason: " "), by: Fixture.lead)?.code == .badArgument)
        #expect(h.refusal(.resume(reason: "fine"), by: Fixture.lead)?.code == .notAllowedNow)
        h.must(.hold(reason: "r"), by: Fixture.lead)
        #expect(h.refusal(.resume(reason: ""), by: Fixture.lead)?.code == .badArgument)
    }

    @Test func finalCaseRefusesChangesButAcceptsNotes() {
        var h = Harness.opened()
        h.advance("abandon", by: Fixture.lead, reason: "no efficacy")
        #expect(h.c.isFinal && h.c.state == "discontinued")
        let r = h.refusal(.attach(Attachment(kind: "tpp", sha256: Fixture.hex)), by: Fixture.lead)
        #expect(r?.code == .notAllowedNow)
        #expect(r?.message.contains("final") == true)
        #expect(h.refusal(.hold(reason: "x"), by: Fixture.lead)?.code == .notAllowedNow)
        #expect(h.refusal(.setAttributes(["sponsor": "B"], reason: "x"), by: Fixture.lead)?.code == .notAllowedNow)
        #expect(h.refusal(.advance(transition: "abandon", reason: "x"), by: Fixture.lead)?.code == .notAllowedNow)
        h.must(.note(text: "archived"), by: Fixture.lead)
        #expect(h.c.version == 3)
        // A note on a final case still needs a template role.
        #expect(h.refusal(.note(text: "x"), by: Fixture.regulator)?.code == .forbidden)
    }

    @Test func noteNeedsText() {
        var h = Harness.opened()
        #expect(h.refusal(.note(text: "\n "), by: Fixture.lead)?.code == .badArgument)
    }

    @Test func eventTimeNeverGoesBack() {
        var h = Harness.opened()
        h.now = Fixture.t0.adding(seconds: -100)
        h.must(.note(text: "clock stepped back"), by: Fixture.lead)
        #expect(h.events.last?.at == Fixture.t0)
    }
}
