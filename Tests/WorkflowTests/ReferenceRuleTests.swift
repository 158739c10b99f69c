import Foundation
import Testing
@testable import Workflow

/// Every name a template refers to must be declared; reported at the reference.
@Suite struct ReferenceRuleTests {
    @Test func undeclaredInitialState() {
        expectSingleError(minimal.replacingOccurrences(of: "initial: a", with: "initial: z"),
                          at: 4, 10, "undeclared state 'z' as initial state")
    }

    @Test func undeclaredTargetState() {
        let yaml = minimal.replacingOccurrences(of: "go: {to: b,", with: "go: {to: c,")
            .replacingOccurrences(of: "    transitions:", with: "    transitions:\n      ok: {to: b, roles: [lead]}")
        expectSingleError(yaml, at: 11, 16, "undeclared state 'c'")
    }

    @Test func undeclaredRoleInTransitionOpenRolesAndSignature() {
        let yaml = minimal
            .replacingOccurrences(of: "initial: a", with: "open-roles: [lead, boss]\ninitial: a")
            .replacingOccurrences(of: "roles: [lead]}", with: "roles: [lead, qa], requires: {signatures: [{role: qp, meaning: approved}]}}")
        #expect(errorPositions(yaml) == ["4:20", "11:33", "11:69"], "\(errors(yaml))")
        #expect(errors(yaml).allSatisfy { $0.contains("undeclared role") })
    }

    @Test func systemRolesAreNotTemplateRoles() {
        let yaml = minimal.replacingOccurrences(of: "roles: [lead]}", with: "roles: [lead, admin]}")
        expectSingleError(yaml, at: 10, 33, "'admin' is a system role")
    }

    @Test func undeclaredStageDocumentClockAttribute() {
        let yaml = """
        template: t
        roles: {lead: Lead}
        stages: {main: Main}
        initial: a
        states:
          a:
            stage: mian
            title: A
            clock: {start: mma}
            transitions:
              go: {to: b, roles: [lead], when: {klass: [x]}, requires: {documents: [tpp]}}
          b: {stage: main, title: B, final: true}
        """
        #expect(errorPositions(yaml) == ["7:12", "9:20", "11:41", "11:77"], "\(errors(yaml))")
        #expect(errors(yaml)[0].hasSuffix("undeclared stage 'mian'"))
        #expect(errors(yaml)[1].hasSuffix("undeclared clock 'mma'"))
        #expect(errors(yaml)[2].hasSuffix("undeclared attribute 'klass'"))
        #expect(errors(yaml)[3].hasSuffix("undeclared document 'tpp'"))
    }

    @Test func whenValuesMustBeAmongTheAttributeValues() {
        let yaml = minimal
            .replacingOccurrences(of: "initial: a", with: "attributes: {class: {values: [gene, cell]}, sponsor: {}}\ninitial: a")
            .replacingOccurrences(of: "roles: [lead]}", with: "roles: [lead], when: {class: [gene, tissue], sponsor: [anyone]}}")
        // `sponsor` has no `values`, so any value is fine for it.
        expectSingleError(yaml, at: 11, 55, "'tissue' is not a value of attribute 'class'")
    }

    @Test func unusedRolesAndDocumentsAreWarnings() {
        let yaml = minimal
            .replacingOccurrences(of: "roles: {lead: Lead}", with: "roles: {lead: Lead, qa: QA}")
            .replacingOccurrences(of: "stages:", with: "documents: {tpp: TPP}\nstages:")
        let result = analyze(yaml)
        #expect(result.errors.isEmpty)
        #expect(result.template != nil)
        #expect(warnings(yaml) == [
            "2:21: role 'qa' is declared but no transition or signature uses it",
            "3:13: document 'tpp' is declared but no transition requires it",
        ])
    }

    @Test func aRoleUsedOnlyInOpenRolesOrASignatureIsUsed() {
        let yaml = minimal
            .replacingOccurrences(of: "roles: {lead: Lead}", with: "roles: {lead: Lead, qa: QA, qp: QP}")
            .replacingOccurrences(of: "initial: a", with: "open-roles: [qa]\ninitial: a")
            .replacingOccurrences(of: "roles: [lead]}", with: "roles: [lead], requires: {signatures: [{role: qp, meaning: approved}]}}")
        #expect(warnings(yaml).isEmpty)
    }

    @Test func stateWithoutTitleIsAWarningNotAnError() {
        let yaml = minimal.replacingOccurrences(of: "title: B, ", with: "")
        #expect(errors(yaml).isEmpty)
        #expect(warnings(yaml) == ["11:3: state 'b' has no title"])
    }
}
