import Foundation
import Testing
@testable import Workflow

@Suite struct GraphRuleTests {
    @Test func unreachableStateIsReportedAtItsName() {
        let yaml = minimal + "\n  orphan: {stage: main, title: O, transitions: {go: {to: b, roles: [lead]}}}"
        expectSingleError(yaml, at: 12, 3, "state 'orphan' is unreachable from the initial state 'a'")
    }

    @Test func stateThatCannotReachAFinalState() {
        let yaml = minimal
            .replacingOccurrences(of: "    transitions:\n", with: "    transitions:\n      loop: {to: c, roles: [lead]}\n")
            + "\n  c: {stage: main, title: C, transitions: {back: {to: d, roles: [lead]}}}"
            + "\n  d: {stage: main, title: D, transitions: {again: {to: c, roles: [lead]}}}"
        #expect(errorPositions(yaml) == ["13:3", "14:3"], "\(errors(yaml))")
        #expect(errors(yaml)[0].hasSuffix("no final state can be reached from state 'c'"))
    }

    @Test func nonFinalStateWithoutTransitionsIsADeadEnd() {
        let yaml = minimal.replacingOccurrences(of: "title: B, final: true", with: "title: B")
            + "\n  z: {stage: main, title: Z, final: true}"
        // b is a dead end, so a reaches no final state either; z is unreachable.
        #expect(errorPositions(yaml) == ["6:3", "11:3", "12:3"], "\(errors(yaml))")
    }

    @Test func finalStateCannotHaveTransitions() {
        let yaml = minimal.replacingOccurrences(of: "final: true}", with: "final: true, transitions: {back: {to: a, roles: [lead]}}}")
        expectSingleError(yaml, at: 11, 43, "final state 'b' cannot have transitions")
    }

    @Test func aTemplateNeedsAFinalState() {
        let yaml = minimal.replacingOccurrences(of: "final: true}", with: "transitions: {back: {to: a, roles: [lead]}}}")
        expectSingleError(yaml, at: 5, 1, "the template has no final state")
    }

    // Clock data-flow: lines 1-4 declare, the states follow.
    static func clocked(_ states: String) -> String {
        """
        template: t
        roles: {lead: Lead}
        stages: {main: Main}
        clocks: {c: {days: 1}}
        initial: a
        states:
        \(states)
        """
    }

    @Test func pausingAClockNothingStartedIsAnError() {
        let yaml = Self.clocked("""
          a: {stage: main, title: A, transitions: {go: {to: b, roles: [lead]}}}
          b: {stage: main, title: B, clock: {pause: c}, final: true}
        """)
        expectSingleError(yaml, at: 8, 45, "clock 'c' is paused in state 'b', but no path from 'a' starts it first")
    }

    @Test func aClockStartedOnOneBranchOnlyIsAccepted() {
        // May-analysis: one path that starts the clock is enough.
        let yaml = Self.clocked("""
          a: {stage: main, title: A, transitions: {x: {to: s, roles: [lead]}, y: {to: b, roles: [lead]}}}
          s: {stage: main, title: S, clock: {start: c}, transitions: {go: {to: b, roles: [lead]}}}
          b: {stage: main, title: B, clock: {stop: c}, final: true}
        """)
        #expect(errors(yaml).isEmpty)
    }

    @Test func aStartAfterTheStopOnlyIsNotEnough() {
        let yaml = Self.clocked("""
          a: {stage: main, title: A, clock: {resume: c}, transitions: {go: {to: s, roles: [lead]}}}
          s: {stage: main, title: S, clock: {start: c}, transitions: {go: {to: b, roles: [lead]}}}
          b: {stage: main, title: B, final: true}
        """)
        expectSingleError(yaml, at: 7, 46, "clock 'c' is resumed in state 'a'")
    }

    @Test func aStateMayStartAndStopInOrderButNotStopThenStart() {
        let ok = Self.clocked("""
          a: {stage: main, title: A, clock: {start: c, stop: c}, transitions: {go: {to: b, roles: [lead]}}}
          b: {stage: main, title: B, final: true}
        """)
        #expect(errors(ok).isEmpty)
        let bad = Self.clocked("""
          a: {stage: main, title: A, clock: {stop: c, start: c}, transitions: {go: {to: b, roles: [lead]}}}
          b: {stage: main, title: B, final: true}
        """)
        expectSingleError(bad, at: 7, 44, "clock 'c' is stopped in state 'a'")
    }

    @Test func aLoopBackToTheStartingStateCountsAsStarted() {
        let yaml = Self.clocked("""
          a: {stage: main, title: A, clock: {pause: c}, transitions: {go: {to: s, roles: [lead]}}}
          s: {stage: main, title: S, clock: {start: c}, transitions: {back: {to: a, roles: [lead]}, end: {to: b, roles: [lead]}}}
          b: {stage: main, title: B, final: true}
        """)
        #expect(errors(yaml).isEmpty)
    }

    @Test func aStartInAnUnreachableStateDoesNotCount() {
        let yaml = Self.clocked("""
          a: {stage: main, title: A, transitions: {go: {to: b, roles: [lead]}}}
          u: {stage: main, title: U, clock: {start: c}, transitions: {go: {to: b, roles: [lead]}}}
          b: {stage: main, title: B, clock: {stop: c}, final: true}
        """)
        #expect(errorPositions(yaml) == ["8:3", "9:44"], "\(errors(yaml))")
    }
}
