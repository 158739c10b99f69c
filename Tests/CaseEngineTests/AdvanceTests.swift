import AuditLog
import Testing
import Workflow

@testable import CaseEngine

@Suite struct AdvanceTests {
    @Test func unknownTransitionNamesStateAndListsTheWayOut() {
        var h = Harness.opened()
        let r = h.refusal(.advance(transition: "submit-maa", reason: "x"), by: Fixture.ra)
        #expect(r?.code == .notFound)
        #expect(r?.message.contains("out of state discovery") == true)
        #expect(r?.message.contains("classify, review, abandon") == true)
    }

    @Test func firerMustHoldOneOfTheTransitionRoles() {
        var h = Harness.opened()
        let r = h.refusal(.advance(transition: "abandon", reason: "x"), by: Fixture.ra)
        #expect(r?.code == .forbidden)
        #expect(r?.message.contains("lead") == true)
    }

    @Test func requiredReasonMustBeGivenAndNotBlank() {
        var h = Harness.opened()
        #expect(h.refusal(.advance(transition: "abandon", reason: nil), by: Fixture.lead)?.code == .badArgument)
        #expect(h.refusal(.advance(transition: "abandon", reason: "   "), by: Fixture.lead)?.code == .badArgument)
    }

    @Test func optionalBlankReasonIsRecordedAsAbsent() {
        var h = Harness.opened()
        h.sign("review", .reviewed, by: Fixture.qa)
        h.advance("review", by: Fixture.lead, reason: " ")
        #expect(h.events.last?.data["reason"] == .null)
    }

    @Test func everyMissingRequirementIsReportedInTemplateOrder() {
        var h = Harness.opened(["atmp-class": "tissue"])
        let r = h.refusal(.advance(transition: "classify", reason: "go"), by: Fixture.lead)
        #expect(r?.code == .requirementsUnmet)
        #expect(r?.missing == [
            .attribute(name: "atmp-class", allowed: ["gene", "cell"], actual: "tissue"),
            .document(kind: "tpp", sinceEntry: false),
            .signature(role: "qa", meaning: .approved, needed: 1, have: 0),
        ])
        #expect(r?.message.contains("document tpp") == true)
    }

    @Test func twoDocumentsAndSignaturesMissingGiveOneEntryEach() {
        var h = Harness.opened()
        h.toClassification()
        h.sign("submit-maa", .approved, by: Fixture.qa)
        let r = h.refusal(.advance(transition: "submit-maa", reason: nil), by: Fixture.ra)
        #expect(r?.missing == [
            .document(kind: "dossier", sinceEntry: false),
            .document(kind: "gmo-permit", sinceEntry: false),
            .signature(role: "qa", meaning: .approved, needed: 2, have: 1),
            .signature(role: "qp", meaning: .responsible, needed: 1, have: 0),
        ])
    }

    @Test func advancingMovesStateAndStartsANewStay() {
        var h = Harness.opened()
        h.advanceTime(days: 3)
        h.toClassification()
        #expect(h.c.state == "classification" && h.c.stage == "research")
        #expect(h.c.entered == h.now && h.c.enteredSeq == h.seq && h.c.version == 4)
        #expect(h.c.signatures.isEmpty)
        #expect(h.events.last?.data["from"] == "discovery")
        #expect(h.events.last?.data["reason"] == "because")
        #expect(h.events.last?.role == "lead")
    }

    @Test func separationOfDutiesTheFirerCannotBeASigner() {
        var h = Harness.opened()
        h.attach("tpp", by: Fixture.lead)
        h.sign("classify", .approved, by: Fixture.leadAndQA)
        let r = h.refusal(.advance(transition: "classify", reason: "go"), by: Fixture.leadAndQA)
        #expect(r?.code == .requirementsUnmet)
        #expect(r?.missing == [.signature(role: "qa", meaning: .approved, needed: 1, have: 0)])
        #expect(r?.message.contains("signature of lars was not counted") == true)
        // Anyone else holding the role may fire on that signature.
        h.advance("classify", by: Fixture.lead)
        #expect(h.c.state == "classification")
    }

    @Test func messageDoesNotMentionDiscountingWhenTheFirerDidNotSign() {
        var h = Harness.opened()
        h.attach("tpp", by: Fixture.lead)
        let r = h.refusal(.advance(transition: "classify", reason: "go"), by: Fixture.leadAndQA)
        #expect(r?.message.contains("not counted") == false)
    }

    @Test func countTwoNeedsTwoDistinctSigners() {
        var h = Harness.opened()
        h.toClassification()
        h.attach("dossier"); h.attach("gmo-permit")
        h.sign("submit-maa", .responsible, by: Fixture.qp)
        h.sign("submit-maa", .approved, by: Fixture.qa)
        // The same signer twice is refused, so it cannot count twice.
        #expect(h.refusal(.sign(transition: "submit-maa", meaning: "approved", reason: nil), by: Fixture.qa)?.code == .notAllowedNow)
        #expect(h.refusal(.advance(transition: "submit-maa", reason: nil), by: Fixture.ra)?.missing
            == [.signature(role: "qa", meaning: .approved, needed: 2, have: 1)])
        h.sign("submit-maa", .approved, by: Fixture.qa2)
        h.advance("submit-maa", by: Fixture.ra)
        #expect(h.c.state == "maa-assessment")
    }

    @Test func signaturesDoNotSurviveLeavingTheState() {
        var h = Harness.opened()
        h.toClassification()
        h.sign("submit-maa", .approved, by: Fixture.qa)
        h.sign("submit-maa", .approved, by: Fixture.qa2)
        h.advance("send-back", by: Fixture.ra, reason: "more data")
        h.toClassification()
        h.attach("dossier"); h.attach("gmo-permit")
        h.sign("submit-maa", .responsible, by: Fixture.qp)
        #expect(h.refusal(.advance(transition: "submit-maa", reason: nil), by: Fixture.ra)?.missing
            == [.signature(role: "qa", meaning: .approved, needed: 2, have: 0)])
    }

    @Test func aSelfLoopIsANewStay() {
        var h = Harness.opened()
        h.sign("classify", .approved, by: Fixture.qa)
        h.sign("review", .reviewed, by: Fixture.qa2)
        let before = h.c.enteredSeq
        h.advance("review", by: Fixture.lead)
        #expect(h.c.state == "discovery" && h.c.enteredSeq > before && h.c.signatures.isEmpty)
        h.attach("tpp", by: Fixture.lead)
        #expect(h.refusal(.advance(transition: "classify", reason: "go"), by: Fixture.lead)?.missing
            == [.signature(role: "qa", meaning: .approved, needed: 1, have: 0)])
        // …and the same person may sign again in the new stay.
        h.sign("classify", .approved, by: Fixture.qa)
    }

    @Test func sinceEntryDocumentFromAnEarlierStayDoesNotCount() {
        var h = Harness.opened()
        h.toAssessment()
        h.advance("questions", by: Fixture.ra)
        #expect(h.refusal(.advance(transition: "respond", reason: nil), by: Fixture.ra)?.missing
            == [.document(kind: "responses", sinceEntry: true)])
        h.attach("responses")
        h.advance("respond", by: Fixture.ra)
        h.advance("questions", by: Fixture.ra)  // back to clock-stop: a new stay
        let r = h.refusal(.advance(transition: "respond", reason: nil), by: Fixture.ra)
        #expect(r?.missing == [.document(kind: "responses", sinceEntry: true)])
        #expect(r?.message.contains("since entering") == true)
        h.attach("responses")
        h.advance("respond", by: Fixture.ra)
        #expect(h.c.state == "maa-resumed")
    }

    @Test func documentsWithoutSinceEntryCountFromAnyEarlierStay() {
        var h = Harness.opened()
        h.attach("tpp", by: Fixture.lead)
        h.sign("review", .reviewed, by: Fixture.qa)
        h.advance("review", by: Fixture.lead)
        h.sign("classify", .approved, by: Fixture.qa)
        h.advance("classify", by: Fixture.lead)
        #expect(h.c.state == "classification")
    }

    @Test func whenConditionOnAnUnsetAttribute() {
        var h = Harness.opened()
        h.toAssessment()
        h.sign("opinion", .approved, by: Fixture.qp)
        h.advance("opinion", by: Fixture.ra)
        let r = h.refusal(.advance(transition: "implement", reason: nil), by: Fixture.hospital)
        #expect(r?.missing == [
            .attribute(name: "route", allowed: ["central"], actual: nil),
            .document(kind: "readiness", sinceEntry: false),
        ])
        #expect(r?.message.contains("is unset") == true)
    }
}
