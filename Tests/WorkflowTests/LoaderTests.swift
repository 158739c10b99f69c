import Foundation
import Testing
@testable import Workflow

@Suite struct LoaderTests {
    static let full = """
    template: gene-therapy
    title: Gene therapy
    description: |
      Free text.
    roles:
      project-lead: Leads the case
      qa: Quality assurance
    open-roles: [project-lead]
    attributes:
      atmp-class: {title: ATMP class, required: true, values: [gene-therapy, combined]}
      sponsor: {title: Sponsor}
    documents:
      tpp: Target product profile
      responses: Responses
    stages:
      research: Research
      authorisation: Authorisation
    clocks:
      maa: {title: MAA, days: 210}
    initial: discovery
    states:
      discovery:
        stage: research
        title: Discovery
        deadline: 365d
        transitions:
          submit:
            to: assessment
            title: Submit
            roles: [project-lead]
            when: {atmp-class: [gene-therapy]}
            requires:
              documents: [tpp, {kind: responses, since: entry}]
              signatures:
                - {role: qa, meaning: approved, count: 2}
            reason: required
      assessment:
        stage: authorisation
        title: Assessment
        clock: {start: maa}
        transitions: {questions: {to: clock-stop, roles: [project-lead]}}
      clock-stop:
        stage: authorisation
        title: Clock stop
        clock: {pause: maa}
        deadline: P1DT12H
        transitions: {answer: {to: approved, roles: [qa]}}
      approved: {stage: authorisation, title: Approved, final: true, outcome: approved, clock: {stop: maa}}
    """

    @Test func loadsEveryPartOfAFullTemplate() throws {
        let template = try TemplateLoader.load(yaml: Self.full, file: "g.yaml").get()
        #expect(template.name == "gene-therapy")
        #expect(template.description == "Free text.\n")
        #expect(template.roles.map(\.name) == ["project-lead", "qa"])
        #expect(template.openRoles == ["project-lead"])
        #expect(template.attribute("atmp-class")?.required == true)
        #expect(template.attribute("atmp-class")?.values == ["gene-therapy", "combined"])
        #expect(template.attribute("sponsor")?.values == nil)
        #expect(template.clock("maa")?.days == 210)
        #expect(template.states.map(\.name) == ["discovery", "assessment", "clock-stop", "approved"])
        let discovery = try #require(template.state("discovery"))
        #expect(discovery.deadline == .days(365))
        let submit = try #require(discovery.transition("submit"))
        #expect(submit.to == "assessment")
        #expect(submit.reason == .required)
        #expect(submit.when == [AttributeCondition(attribute: "atmp-class", values: ["gene-therapy"])])
        #expect(submit.documents == [DocumentRequirement(kind: "tpp"), DocumentRequirement(kind: "responses", sinceEntry: true)])
        #expect(submit.signatures == [SignatureRequirement(role: "qa", meaning: .approved, count: 2)])
        #expect(template.state("clock-stop")?.deadline == .init(seconds: 86_400 + 12 * 3_600))
        #expect(template.state("assessment")?.clockEffects == [ClockEffect(.start, "maa")])
        #expect(template.state("approved")?.isFinal == true)
        #expect(template.state("approved")?.outcome == "approved")
        #expect(template.state("assessment")?.transition("questions")?.reason == .optional)
    }

    @Test func openRolesDefaultToEveryTemplateRole() throws {
        let yaml = minimal.replacingOccurrences(of: "roles: {lead: Lead}", with: "roles: {lead: Lead, qa: QA}")
            .replacingOccurrences(of: "roles: [lead]", with: "roles: [lead, qa]")
        let template = try TemplateLoader.load(yaml: yaml, file: "t.yaml").get()
        #expect(template.openRoles == ["lead", "qa"])
    }

    @Test func jsonIsAcceptedToo() throws {
        let json = """
        {"template": "t", "roles": {"lead": "Lead"}, "stages": {"main": "Main"}, "initial": "a",
         "states": {"a": {"stage": "main", "title": "A", "transitions": {"go": {"to": "b", "roles": ["lead"]}}},
                    "b": {"stage": "main", "title": "B", "final": true}}}
        """
        let template = try TemplateLoader.load(yaml: json, file: "t.json").get()
        #expect(template.state("b")?.isFinal == true)
    }

    @Test func diagnosticsReadLikeCompilerMessages() {
        let yaml = minimal.replacingOccurrences(of: "stage: main\n    title: A", with: "stage: nowhere\n    title: A")
        guard case let .failure(failure) = TemplateLoader.load(yaml: yaml, file: "Workflows/t.yaml") else {
            Issue.record("expected a failure"); return
        }
        #expect(failure.description == "Workflows/t.yaml:7:12: error: undeclared stage 'nowhere'")
        let warning = Diagnostic(file: "f", line: 2, column: 3, severity: .warning, message: "m")
        #expect(warning.description == "f:2:3: warning: m")
    }

    @Test func reportsEveryErrorSortedByPosition() {
        let yaml = """
        template: T
        roles: {lead: Lead}
        stages: {main: Main}
        initial: a
        states:
          a:
            stage: main
            titel: A
            transitions:
              go: {to: nowhere, roles: [boss]}
          b: {stage: main, title: B, final: true}
        """
        #expect(errorPositions(yaml) == ["1:11", "6:3", "8:5", "10:16", "10:33", "11:3"], "\(errors(yaml))")
    }

    @Test func loadsFromBytes() throws {
        let template = try TemplateLoader.load(bytes: Array(minimal.utf8), file: "t.yaml").get()
        #expect(template.initial == "a")
    }

    @Test func warningsDoNotStopLoading() {
        let yaml = minimal.replacingOccurrences(of: "    title: A\n", with: "")
        let result = analyze(yaml)
        #expect(result.template != nil)
        #expect(result.warnings.map { "\($0.line):\($0.column)" } == ["6:3"])
    }
}
