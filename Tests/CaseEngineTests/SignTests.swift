import AuditLog
import Testing
import Workflow

@testable import CaseEngine

@Suite struct SignTests {
    @Test func signatureLinksToTheChainHeadAndTakesTheRequirementRole() {
        var h = Harness.opened()
        h.attach("tpp", by: Fixture.lead)
        let head = h.c.head
        let multi = Principal(name: "m", roles: ["lead", "qa"])
        h.must(.sign(transition: "classify", meaning: "approved", reason: "checked"), by: multi)
        let event = h.events.last!
        #expect(event.role == "qa")
        #expect(event.data["record"] == .string(head))
        #expect(event.data["reason"] == "checked")
        #expect(h.c.signatures == [AppliedSignature(
            transition: "classify", role: "qa", meaning: .approved, signer: "m", at: h.now, seq: 3, record: head,
            reason: "checked")])
    }

    @Test func unknownTransition() {
        var h = Harness.opened()
        #expect(h.refusal(.sign(transition: "opinion", meaning: "approved", reason: nil), by: Fixture.qp)?.code == .notFound)
    }

    @Test func unknownMeaningListsTheFour() {
        var h = Harness.opened()
        let r = h.refusal(.sign(transition: "classify", meaning: "liked", reason: nil), by: Fixture.qa)
        #expect(r?.code == .badArgument)
        #expect(r?.message.contains("approved, reviewed, authored, responsible") == true)
    }

    @Test func meaningTheTransitionDoesNotAskForSaysWhatItAsks() {
        var h = Harness.opened()
        let r = h.refusal(.sign(transition: "classify", meaning: "authored", reason: nil), by: Fixture.qa)
        #expect(r?.code == .badArgument)
        #expect(r?.message.contains("approved by qa") == true)
        #expect(h.refusal(.sign(transition: "abandon", meaning: "approved", reason: nil), by: Fixture.qa)?.code == .badArgument)
    }

    @Test func signerMustHoldTheRequirementRole() {
        var h = Harness.opened()
        let r = h.refusal(.sign(transition: "classify", meaning: "approved", reason: nil), by: Fixture.qp)
        #expect(r?.code == .forbidden)
        #expect(r?.message.contains("qa") == true)
    }

    @Test func nobodySignsTheSameTransitionTwiceInAStay() {
        var h = Harness.opened()
        h.toClassification()
        let both = Principal(name: "b", roles: ["qa", "qp"])
        h.sign("submit-maa", .approved, by: both)
        // Even with another meaning and another role.
        let r = h.refusal(.sign(transition: "submit-maa", meaning: "responsible", reason: nil), by: both)
        #expect(r?.code == .notAllowedNow)
        #expect(r?.message.contains("already signed") == true)
    }

    @Test func aCompleteRequirementTakesNoMoreSignatures() {
        var h = Harness.opened()
        h.sign("classify", .approved, by: Fixture.qa)
        let r = h.refusal(.sign(transition: "classify", meaning: "approved", reason: nil), by: Fixture.qa2)
        #expect(r?.code == .notAllowedNow)
        #expect(r?.message.contains("complete") == true)
    }
}

@Suite struct AttachTests {
    @Test func attachNormalisesTheDigestAndReplacesTheLatestOfAKind() {
        var h = Harness.opened()
        h.must(.attach(Attachment(kind: "tpp", sha256: String(repeating: "AB", count: 32), uri: "s3://x", title: "TPP v1")),
               by: Fixture.lead)
        #expect(h.c.documents["tpp"]?.sha256 == Fixture.hex)
        #expect(h.c.documents["tpp"]?.by == "lena")
        h.must(.attach(Attachment(kind: "tpp", sha256: String(repeating: "cd", count: 32), uri: " ", reason: "v2")),
               by: Fixture.qa)
        let doc = h.c.documents["tpp"]
        #expect(doc?.sha256 == String(repeating: "cd", count: 32) && doc?.uri == nil && doc?.seq == 3)
        #expect(h.events.last?.data["reason"] == "v2")
        #expect(h.events.last?.data["title"] == .null)
    }

    @Test func unknownKindListsTheKinds() {
        var h = Harness.opened()
        let r = h.refusal(.attach(Attachment(kind: "poem", sha256: Fixture.hex)), by: Fixture.lead)
        #expect(r?.code == .badArgument)
        #expect(r?.message.contains("tpp, gmo-permit, dossier, responses, readiness") == true)
    }

    @Test(arguments: [
        "", "abc", String(repeating: "a", count: 63), String(repeating: "a", count: 65),
        String(repeating: "g", count: 64), String(repeating: "a", count: 63) + " ",
        String(repeating: "a", count: 62) + "é",
    ])
    func digestMustBe64HexDigits(_ digest: String) {
        var h = Harness.opened()
        #expect(h.refusal(.attach(Attachment(kind: "tpp", sha256: digest)), by: Fixture.lead)?.code == .badArgument)
    }
}

@Suite struct SetAttributesTests {
    @Test func recordsOldAndNewValuesAndTheReason() {
        var h = Harness.opened()
        h.must(.setAttributes(["sponsor": "Beta", "route": "central"], reason: "merger"), by: Fixture.ra)
        #expect(h.c.attributes == ["atmp-class": "gene", "sponsor": "Beta", "route": "central"])
        #expect(h.events.last?.data["changes"] == [
            "sponsor": ["old": "Acme", "new": "Beta"], "route": ["old": nil, "new": "central"],
        ])
        #expect(h.events.last?.data["reason"] == "merger")
    }

    @Test func blankOptionalValueClearsIt() {
        var h = Harness.opened(["hospital": "Karolinska"])
        h.must(.setAttributes(["hospital": ""], reason: "moved"), by: Fixture.ra)
        #expect(h.c.attributes["hospital"] == nil)
        #expect(h.refusal(.setAttributes(["hospital": ""], reason: "again"), by: Fixture.ra)?.message.contains("no change") == true)
    }

    @Test func refusals() {
        var h = Harness.opened()
        let cases: [([String: String], String?, String)] = [
            (["sponsor": "B"], nil, "reason"),
            (["sponsor": "B"], "  ", "reason"),
            ([:], "r", "at least one"),
            (["colour": "red"], "r", "unknown attribute colour"),
            (["route": "teleport"], "r", "central, exemption"),
            (["sponsor": " "], "r", "sponsor is required"),
            (["sponsor": "Acme"], "r", "no change"),
            (["sponsor": "B", "atmp-class": "gene"], "r", "no change"),
        ]
        for (values, reason, text) in cases {
            let r = h.refusal(.setAttributes(values, reason: reason), by: Fixture.lead)
            #expect(r?.code == .badArgument, "\(values)")
            #expect(r?.message.contains(text) == true, "\(values): \(r?.message ?? "")")
        }
    }
}
