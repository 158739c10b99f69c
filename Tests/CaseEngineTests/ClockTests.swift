import AuditLog
import Testing
import Workflow

@testable import CaseEngine

@Suite struct ClockTests {
    static let usPerDay = Fixture.day * 1_000_000

    /// Runs the fixture through the MAA: cta runs 10 days; maa runs 100 days,
    /// is stopped for 30 (clock-stop), runs `afterResume` more days, then stops.
    func throughAssessment(afterResume: Int64) -> Harness {
        var h = Harness.opened()
        h.advanceTime(days: 1)
        h.toClassification()
        #expect(h.c.clocks["cta"]?.status == .running)
        h.advanceTime(days: 10)
        h.toAssessment_fromClassification()
        #expect(h.c.clocks["cta"] == ClockState(name: "cta", status: .stopped, accumulated: 10 * Self.usPerDay, runningSince: nil))
        #expect(h.c.clocks["maa"]?.status == .running)
        h.advanceTime(days: 100)
        h.advance("questions", by: Fixture.ra)
        #expect(h.c.clocks["maa"] == ClockState(name: "maa", status: .paused, accumulated: 100 * Self.usPerDay, runningSince: nil))
        h.advanceTime(days: 30)
        #expect(h.c.clocks["maa"]?.elapsed(at: h.now) == 100 * Self.usPerDay)
        h.attach("responses")
        h.advance("respond", by: Fixture.ra)
        #expect(h.c.clocks["maa"]?.status == .running && h.c.clocks["maa"]?.runningSince == h.now)
        h.advanceTime(days: afterResume)
        #expect(h.c.clocks["maa"]?.elapsed(at: h.now) == (100 + afterResume) * Self.usPerDay)
        return h
    }

    @Test func startPauseResumeStopCountOnlyRunningTime() {
        var h = throughAssessment(afterResume: 110)
        h.sign("opinion", .approved, by: Fixture.qp)
        h.advance("opinion", by: Fixture.ra)
        let maa = h.c.clocks["maa"]
        #expect(maa?.status == .stopped && maa?.accumulated == 210 * Self.usPerDay)
        h.advanceTime(days: 500)
        #expect(h.c.clocks["maa"]?.elapsed(at: h.now) == 210 * Self.usPerDay)
        // Exactly the limit is not overdue: only past it.
        #expect(!CaseEngine.isOverdue(h.c, template: h.template, at: h.now))
        #expect(h.tickOverdue().isEmpty)
    }

    @Test func pauseOfAPausedClockAndResumeOfARunningOneChangeNothing() {
        var c = Harness.opened().c
        let t = Fixture.t0
        c.applyClockEffects([ClockEffect(.start, "maa")], at: t)
        c.applyClockEffects([ClockEffect(.resume, "maa")], at: t.adding(seconds: 50))
        #expect(c.clocks["maa"]?.runningSince == t)
        c.applyClockEffects([ClockEffect(.pause, "maa"), ClockEffect(.pause, "maa")], at: t.adding(seconds: 60))
        #expect(c.clocks["maa"]?.accumulated == 60_000_000)
        c.applyClockEffects([ClockEffect(.stop, "maa"), ClockEffect(.resume, "maa")], at: t.adding(seconds: 90))
        #expect(c.clocks["maa"] == ClockState(name: "maa", status: .stopped, accumulated: 60_000_000, runningSince: nil))
        c.applyClockEffects([ClockEffect(.pause, "cta"), ClockEffect(.stop, "cta")], at: t)
        #expect(c.clocks["cta"] == nil)
        c.applyClockEffects([ClockEffect(.start, "maa")], at: t.adding(seconds: 100))
        #expect(c.clocks["maa"]?.elapsed(at: t.adding(seconds: 105)) == 5_000_000)
    }
}

@Suite struct OverdueTests {
    @Test func clockOverdueIsRaisedOnceBySystem() {
        var h = ClockTests().throughAssessment(afterResume: 110)
        #expect(h.tickOverdue().isEmpty)
        h.advanceTime(seconds: 1)
        #expect(CaseEngine.isOverdue(h.c, template: h.template, at: h.now))
        let raised = h.tickOverdue()
        #expect(raised == [CaseEvent(
            at: h.now, actor: "system", role: "system",
            kind: .overdue(Overdue(subject: .clock, name: "maa", limitSeconds: 210 * Fixture.day,
                                   elapsedSeconds: 210 * Fixture.day + 1)))])
        h.advanceTime(days: 3)
        #expect(h.tickOverdue().isEmpty)
        #expect(CaseEngine.isOverdue(h.c, template: h.template, at: h.now))
    }

    @Test func restartingAClockReArmsIt() {
        var h = Harness.opened()
        h.toClassification()
        h.advanceTime(days: 61)
        let first = h.tickOverdue().map(\.kind)
        #expect(first == [
            .overdue(Overdue(subject: .deadline, name: "classification", limitSeconds: 240 * 3_600, elapsedSeconds: 61 * Fixture.day)),
            .overdue(Overdue(subject: .clock, name: "cta", limitSeconds: 60 * Fixture.day, elapsedSeconds: 61 * Fixture.day)),
        ])
        h.advance("send-back", by: Fixture.lead, reason: "redo")
        #expect(h.tickOverdue().isEmpty)  // cta keeps running but was raised already
        h.sign("classify", .approved, by: Fixture.qa)
        h.advance("classify", by: Fixture.lead)  // restarts cta
        h.advanceTime(days: 60)
        #expect(h.tickOverdue().map(\.kind) == [
            .overdue(Overdue(subject: .deadline, name: "classification", limitSeconds: 240 * 3_600, elapsedSeconds: 60 * Fixture.day))
        ])
        h.advanceTime(seconds: 1)
        #expect(h.tickOverdue().count == 1)
        #expect(h.tickOverdue().isEmpty)
    }

    @Test func deadlineRaisedOnceAndReArmedOnANewStay() {
        var h = Harness.opened()
        h.advanceTime(days: 365)
        #expect(!CaseEngine.isOverdue(h.c, template: h.template, at: h.now))
        #expect(h.tickOverdue().isEmpty)
        h.advanceTime(seconds: 1)
        #expect(h.tickOverdue().count == 1)
        #expect(h.c.overdueRaised == [.deadline(state: "discovery", enteredSeq: 1)])
        h.advanceTime(days: 10)
        #expect(h.tickOverdue().isEmpty)
        #expect(CaseEngine.isOverdue(h.c, template: h.template, at: h.now))
        h.sign("review", .reviewed, by: Fixture.qa)
        h.advance("review", by: Fixture.lead)  // self-loop: a new stay
        #expect(h.c.overdueRaised.isEmpty)
        #expect(!CaseEngine.isOverdue(h.c, template: h.template, at: h.now))
        h.advanceTime(days: 366)
        #expect(h.tickOverdue().map(\.kind) == [
            .overdue(Overdue(subject: .deadline, name: "discovery", limitSeconds: 365 * Fixture.day, elapsedSeconds: 366 * Fixture.day))
        ])
    }

    @Test func finalCasesHaveNoDeadline() {
        var template = Fixture.template
        template.states[7].deadline = .days(1)  // discontinued
        #expect(template.states[7].name == "discontinued")
        var h = Harness.opened()
        h.template = template
        h.advance("abandon", by: Fixture.lead, reason: "stop")
        h.advanceTime(days: 30)
        #expect(!CaseEngine.isOverdue(h.c, template: template, at: h.now))
        #expect(h.tickOverdue().isEmpty)
    }
}

extension Harness {
    /// From classification into the MAA assessment.
    mutating func toAssessment_fromClassification() {
        attach("dossier"); attach("gmo-permit")
        sign("submit-maa", .approved, by: Fixture.qa)
        sign("submit-maa", .approved, by: Fixture.qa2)
        sign("submit-maa", .responsible, by: Fixture.qp)
        advance("submit-maa", by: Fixture.ra)
    }
}
