import AuditLog
import Testing
import Workflow

@testable import CaseEngine

@Suite struct NextTests {
    @Test func listsEveryTransitionWithWhatIsMissing() {
        var h = Harness.opened()
        h.attach("tpp", by: Fixture.lead)
        let steps = CaseEngine.next(h.c, template: h.template, for: nil)
        #expect(steps.map(\.transition) == ["classify", "review", "abandon"])
        #expect(steps[0].missing == [.signature(role: "qa", meaning: .approved, needed: 1, have: 0)])
        #expect(!steps[0].ready && steps[0].reasonRequired)
        #expect(steps[2].ready && steps[2].to == "discontinued")
    }

    @Test func forAPrincipalTheirOwnSignatureAndRolesCount() {
        var h = Harness.opened()
        h.attach("tpp", by: Fixture.lead)
        h.sign("classify", .approved, by: Fixture.leadAndQA)
        #expect(CaseEngine.next(h.c, template: h.template, for: nil)[0].ready)
        #expect(CaseEngine.next(h.c, template: h.template, for: Fixture.lead)[0].ready)
        let mine = CaseEngine.next(h.c, template: h.template, for: Fixture.leadAndQA)[0]
        #expect(mine.missing == [.signature(role: "qa", meaning: .approved, needed: 1, have: 0)])
        let qa = CaseEngine.next(h.c, template: h.template, for: Fixture.qa)[0]
        #expect(qa.obstacles == [.roleRequired(["lead"])] && !qa.ready)
    }

    @Test func holdIsAnObstacleAndFinalCasesHaveNoNextSteps() {
        var h = Harness.opened()
        h.must(.hold(reason: "wait"), by: Fixture.lead)
        #expect(CaseEngine.next(h.c, template: h.template, for: nil).allSatisfy { !$0.ready })
        h.must(.resume(reason: "go"), by: Fixture.lead)
        h.advance("abandon", by: Fixture.lead)
        #expect(CaseEngine.next(h.c, template: h.template, for: nil).isEmpty)
    }
}

@Suite struct DeterminismTests {
    @Test func sameInputsGiveSameEventsAndCases() {
        func run() -> Harness {
            var h = Harness.opened(["hospital": "SU"])
            h.toAssessment()
            h.must(.setAttributes(["sponsor": "B", "route": "central"], reason: "r"), by: Fixture.ra)
            h.advanceTime(days: 300)
            h.tickOverdue()
            return h
        }
        let a = run(), b = run()
        #expect(a.events == b.events)
        #expect(a.current == b.current)
        // Rejections too, including which error comes first among several.
        var c = a, d = b
        let bad: CaseCommand = .setAttributes(["zeta": "1", "alpha": "2", "route": "x"], reason: "r")
        #expect(c.refusal(bad, by: Fixture.ra) == d.refusal(bad, by: Fixture.ra))
        #expect(c.refusal(bad, by: Fixture.ra)?.message.contains("alpha") == true)
    }
}
