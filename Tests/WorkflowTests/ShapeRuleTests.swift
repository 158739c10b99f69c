import Foundation
import Testing
@testable import Workflow

/// Keys, types and values: each rule reports at the offending key or value.
@Suite struct ShapeRuleTests {
    @Test func unknownKeyIsReportedAtTheKeyWithASuggestion() {
        let yaml = minimal.replacingOccurrences(of: "    title: A", with: "    titel: A")
        expectSingleError(yaml, at: 8, 5, "unknown key 'titel' in state 'a'; did you mean 'title'?")
    }

    @Test func unknownKeysAreCaughtAtEveryLevel() {
        let yaml = """
        template: t
        version: 2
        roles: {lead: Lead}
        stages: {main: Main}
        attributes: {x: {titel: X}}
        clocks: {c: {days: 1, dayz: 2}}
        initial: a
        states:
          a:
            stage: main
            title: A
            transitions:
              go: {to: b, roles: [lead], rolez: [lead], requires: {document: [x], signatures: [{role: lead, meaning: approved, cont: 2}]}}
          b: {stage: main, title: B, final: true, clock: {start: c}}
        """
        #expect(errorPositions(yaml) == ["2:1", "5:18", "6:23", "13:34", "13:60", "13:120"], "\(errors(yaml))")
    }

    @Test func missingRequiredKeysPointAtTheOwner() {
        let yaml = """
        template: t
        roles: {lead: Lead}
        stages: {main: Main}
        states:
          a:
            title: A
            transitions:
              go: {roles: [lead]}
              stay: {to: a}
          b: {stage: main, title: B, final: true}
        """
        // root lacks initial (1:1); state a lacks stage (5:3) and, with `go` broken, reaches no
        // final state (5:3); go lacks to (8:7); stay lacks roles (9:7)
        #expect(errorPositions(yaml) == ["1:1", "5:3", "5:3", "8:7", "9:7"], "\(errors(yaml))")
        #expect(errors(yaml)[0].contains("missing required key 'initial'"))
    }

    @Test func missingKeyInAListItemPointsAtTheItem() {
        let yaml = minimal
            .replacingOccurrences(of: "roles: {lead: Lead}", with: "roles: {lead: Lead, qa: QA}")
            .replacingOccurrences(of: "go: {to: b, roles: [lead]}",
                                  with: "go: {to: b, roles: [lead], requires: {signatures: [{role: qa}]}}")
        expectSingleError(yaml, at: 10, 58, "missing required key 'meaning' in a signature")
    }

    @Test func wrongYAMLTypesAreReportedAtTheValue() {
        let yaml = """
        template: [t]
        roles: [lead]
        stages: {main: Main}
        initial: a
        states:
          a:
            stage: main
            title: A
            final: yes
            transitions: [go]
        """
        #expect(errorPositions(yaml) == ["1:11", "2:8", "5:1", "9:12", "10:18"], "\(errors(yaml))")
        let messages = errors(yaml)
        #expect(messages[0].contains("template name must be text, found a list"))
        #expect(messages[1].contains("roles must be a mapping, found a list"))
        #expect(messages[2].contains("no final state"))
        #expect(messages[3].contains("final must be true or false, found 'yes'"))
    }

    @Test func scalarOrListAsRootIsRejected() {
        expectSingleError("just text", at: 1, 1, "the template must be a mapping, found text")
        expectSingleError("- a\n- b", at: 1, 1, "the template must be a mapping, found a list")
    }

    @Test(arguments: ["Bad", "1abc", "a_b", "a--b", "a-", "-a", "ä", String(repeating: "a", count: 65)])
    func badNamesAreRejected(name: String) {
        let yaml = minimal.replacingOccurrences(of: "template: t", with: "template: '\(name)'")
        expectSingleError(yaml, at: 1, 11, "bad template name")
    }

    @Test func goodNamesPass() {
        for name in ["a", "gene-therapy", "maa2", "a1-b2-c3", String(repeating: "a", count: 64)] {
            #expect(Name.isValid(name), "\(name)")
        }
    }

    @Test func badNamesAreCaughtForEveryKindOfName() {
        let yaml = """
        template: t
        roles: {Lead: Lead}
        stages: {main_stage: Main}
        attributes: {Class: {title: C}}
        documents: {Doc: D}
        clocks: {MAA: {days: 1}}
        initial: a
        states:
          A: {stage: main_stage, title: A, transitions: {Go: {to: A, roles: [Lead]}}}
        """
        let badNames = analyze(yaml).errors.filter { $0.message.hasPrefix("bad ") }.map { "\($0.line):\($0.column)" }
        #expect(badNames == ["2:9", "3:10", "4:14", "5:13", "6:10", "9:3", "9:50"], "\(errors(yaml))")
    }

    @Test func reservedRoleNamesCannotBeDeclared() {
        let yaml = minimal.replacingOccurrences(of: "roles: {lead: Lead}", with: "roles: {lead: Lead, regulator: R}")
        expectSingleError(yaml, at: 2, 21, "'regulator' is a reserved system role")
    }

    @Test func emptyRolesOnATransitionIsAnError() {
        let yaml = minimal.replacingOccurrences(of: "roles: [lead]", with: "roles: []")
        expectSingleError(yaml, at: 10, 26, "needs at least one role")
    }

    @Test func unknownSignatureMeaningIsReportedAtTheValue() {
        let yaml = minimal.replacingOccurrences(
            of: "go: {to: b, roles: [lead]}",
            with: "go: {to: b, roles: [lead], requires: {signatures: [{role: lead, meaning: approve}]}}")
        expectSingleError(yaml, at: 10, 80, "unknown signature meaning 'approve'")
    }

    @Test(arguments: ["0", "-1", "1.5", "two", "'2'"])
    func signatureCountMustBeAPositiveInteger(count: String) {
        let yaml = minimal.replacingOccurrences(
            of: "go: {to: b, roles: [lead]}",
            with: "go: {to: b, roles: [lead], requires: {signatures: [{role: lead, meaning: approved, count: \(count)}]}}")
        expectSingleError(yaml, at: 10, 97, "count must be a positive whole number")
    }

    @Test(arguments: ["0", "-5", "P1D", "''"])
    func clockDaysMustBeAPositiveInteger(days: String) {
        let yaml = minimal.replacingOccurrences(of: "initial: a", with: "clocks: {c: {days: \(days)}}\ninitial: a")
        expectSingleError(yaml, at: 4, 20, "days must be a positive whole number")
    }

    @Test func reasonMustBeRequiredOrOptional() {
        let yaml = minimal.replacingOccurrences(of: "roles: [lead]}", with: "roles: [lead], reason: always}")
        expectSingleError(yaml, at: 10, 42, "bad reason 'always'; expected required or optional")
    }

    @Test func badDeadlineIsReportedAtTheValue() {
        let yaml = minimal.replacingOccurrences(of: "    title: A", with: "    title: A\n    deadline: P1M")
        expectSingleError(yaml, at: 9, 15, "bad deadline 'P1M'")
    }

    @Test func documentRequirementsTakeANameOrTheLongForm() throws {
        let yaml = minimal
            .replacingOccurrences(of: "stages:", with: "documents: {r: R, s: S}\nstages:")
            .replacingOccurrences(of: "go: {to: b, roles: [lead]}",
                                  with: "go: {to: b, roles: [lead], requires: {documents: [r, {kind: s, since: entry}]}}")
        let template = try TemplateLoader.load(yaml: yaml, file: "t.yaml").get()
        #expect(template.state("a")?.transition("go")?.documents
                == [DocumentRequirement(kind: "r"), DocumentRequirement(kind: "s", sinceEntry: true)])

        let badSince = yaml.replacingOccurrences(of: "since: entry", with: "since: opening")
        expectSingleError(badSince, at: 11, 77, "bad since 'opening'")
        let badItem = yaml.replacingOccurrences(of: "[r, {kind", with: "[[r], {kind")
        expectSingleError(badItem, at: 11, 57, "document kind must be text, found a list")
    }

    @Test func clockValueMayListSeveralClocks() throws {
        let yaml = minimal
            .replacingOccurrences(of: "initial: a", with: "clocks: {c: {days: 1}, d: {days: 2}}\ninitial: a")
            .replacingOccurrences(of: "    title: A", with: "    title: A\n    clock: {start: [c, d]}")
            .replacingOccurrences(of: "final: true}", with: "final: true, clock: {stop: [d, c]}}")
        let template = try TemplateLoader.load(yaml: yaml, file: "t.yaml").get()
        #expect(template.state("a")?.clockEffects == [ClockEffect(.start, "c"), ClockEffect(.start, "d")])
        #expect(template.state("b")?.clockEffects == [ClockEffect(.stop, "d"), ClockEffect(.stop, "c")])
    }

    @Test func unknownClockActionIsReportedAtTheKey() {
        let yaml = minimal
            .replacingOccurrences(of: "initial: a", with: "clocks: {c: {days: 1}}\ninitial: a")
            .replacingOccurrences(of: "    title: A", with: "    title: A\n    clock: {begin: c}")
        expectSingleError(yaml, at: 10, 13, "unknown clock action 'begin'")
    }

    @Test func whenValuesMustBeAList() {
        let yaml = minimal
            .replacingOccurrences(of: "initial: a", with: "attributes: {k: {values: [x]}}\ninitial: a")
            .replacingOccurrences(of: "roles: [lead]}", with: "roles: [lead], when: {k: x}}")
        expectSingleError(yaml, at: 11, 44, "must be a list")
    }
}
