import AuditLog
import Testing
import Workflow

@testable import CaseEngine

/// A hand-built template that uses every feature the engine knows: open roles,
/// required / enumerated / free attributes, `when`, documents with and without
/// `since: entry`, signatures with count 1 and 2, reason required, a self-loop,
/// a send-back loop, deadlines, and a clock that is started, paused, resumed and stopped.
enum Fixture {
    static let template = Template(
        name: "fixture", title: "Everything the engine knows",
        roles: [
            Role(name: "lead", title: "Project lead"), Role(name: "qa", title: "Quality assurance"),
            Role(name: "qp", title: "Qualified person"), Role(name: "ra", title: "Regulatory affairs"),
            Role(name: "hospital", title: "Hospital lead"),
        ],
        openRoles: ["ra", "lead"],
        attributes: [
            AttributeSpec(name: "atmp-class", required: true, values: ["gene", "cell", "tissue"]),
            AttributeSpec(name: "sponsor", required: true),
            AttributeSpec(name: "hospital"),
            AttributeSpec(name: "route", values: ["central", "exemption"]),
        ],
        documents: [
            DocumentKind(name: "tpp", title: "Target product profile"),
            DocumentKind(name: "gmo-permit", title: "GMO permit"),
            DocumentKind(name: "dossier", title: "MAA dossier"),
            DocumentKind(name: "responses", title: "Responses to questions"),
            DocumentKind(name: "readiness", title: "Hospital readiness report"),
        ],
        stages: [
            Stage(name: "research", title: "Research"), Stage(name: "authorisation", title: "Authorisation"),
            Stage(name: "use", title: "Hospital use"),
        ],
        clocks: [ClockSpec(name: "maa", days: 210), ClockSpec(name: "cta", days: 60)],
        initial: "discovery",
        states: [
            State(
                name: "discovery", stage: "research", deadline: .days(365),
                transitions: [
                    Transition(
                        name: "classify", to: "classification", roles: ["lead"],
                        when: [AttributeCondition(attribute: "atmp-class", values: ["gene", "cell"])],
                        documents: [DocumentRequirement(kind: "tpp")],
                        signatures: [SignatureRequirement(role: "qa", meaning: .approved)], reason: .required),
                    Transition(name: "review", to: "discovery", roles: ["lead"],
                               signatures: [SignatureRequirement(role: "qa", meaning: .reviewed)]),
                    Transition(name: "abandon", to: "discontinued", roles: ["lead"], reason: .required),
                ]),
            State(
                name: "classification", stage: "research", deadline: .hours(240), clockEffects: [ClockEffect(.start, "cta")],
                transitions: [
                    Transition(
                        name: "submit-maa", to: "maa-assessment", roles: ["ra"],
                        documents: [DocumentRequirement(kind: "dossier"), DocumentRequirement(kind: "gmo-permit")],
                        signatures: [
                            SignatureRequirement(role: "qa", meaning: .approved, count: 2),
                            SignatureRequirement(role: "qp", meaning: .responsible),
                        ]),
                    Transition(name: "send-back", to: "discovery", roles: ["lead", "ra"], reason: .required),
                ]),
            State(
                name: "maa-assessment", stage: "authorisation",
                clockEffects: [ClockEffect(.stop, "cta"), ClockEffect(.start, "maa")],
                transitions: [
                    Transition(name: "questions", to: "clock-stop", roles: ["ra"]),
                    Transition(name: "opinion", to: "approved", roles: ["ra"],
                               signatures: [SignatureRequirement(role: "qp", meaning: .approved)]),
                ]),
            State(
                name: "clock-stop", stage: "authorisation", clockEffects: [ClockEffect(.pause, "maa")],
                transitions: [
                    Transition(name: "respond", to: "maa-resumed", roles: ["ra"],
                               documents: [DocumentRequirement(kind: "responses", sinceEntry: true)])
                ]),
            State(
                name: "maa-resumed", stage: "authorisation", clockEffects: [ClockEffect(.resume, "maa")],
                transitions: [
                    Transition(name: "questions", to: "clock-stop", roles: ["ra"]),
                    Transition(name: "opinion", to: "approved", roles: ["ra"],
                               signatures: [SignatureRequirement(role: "qp", meaning: .approved)]),
                ]),
            State(
                name: "approved", stage: "use", clockEffects: [ClockEffect(.stop, "maa")],
                transitions: [
                    Transition(name: "implement", to: "in-use", roles: ["hospital"],
                               when: [AttributeCondition(attribute: "route", values: ["central"])],
                               documents: [DocumentRequirement(kind: "readiness")])
                ]),
            State(name: "in-use", stage: "use", isFinal: true, outcome: "in-use"),
            State(name: "discontinued", stage: "research", isFinal: true, outcome: "discontinued"),
        ])

    static let lead = Principal(name: "lena", roles: ["lead"])
    static let qa = Principal(name: "quinn", roles: ["qa"])
    static let qa2 = Principal(name: "quentin", roles: ["qa"])
    static let qp = Principal(name: "paula", roles: ["qp"])
    static let ra = Principal(name: "rafael", roles: ["ra"])
    static let hospital = Principal(name: "hanna", roles: ["hospital"])
    /// Leads and signs for QA: the separation-of-duties case.
    static let leadAndQA = Principal(name: "lars", roles: ["lead", "qa"])
    static let regulator = Principal(name: "reg", roles: [SystemRole.regulator])
    static let admin = Principal(name: "root", roles: [SystemRole.admin])

    static let t0 = Timestamp(seconds: 1_800_000_000)
    static let day: Int64 = 86_400
    static let hex = String(repeating: "ab", count: 32)

    static let validAttributes = ["atmp-class": "gene", "sponsor": "Acme"]
}

/// Drives one case through decide and evolve, with fake hashes `h<seq>`, and
/// keeps every sealed event so tests can replay the chain.
struct Harness {
    var template = Fixture.template
    var current: Case?
    var events: [AuditEvent] = []
    var now = Fixture.t0

    var seq: Int64 { Int64(events.count) }
    var c: Case { current! }

    /// Opens the fixture case with valid attributes (plus `extra`).
    static func opened(_ extra: [String: String] = [:], by principal: Principal = Fixture.lead) -> Harness {
        var h = Harness()
        h.must(.open(OpenCase(
            id: "C-1", templateVersion: 1, title: "AAV9 for SMA",
            attributes: Fixture.validAttributes.merging(extra) { $1 })), by: principal)
        return h
    }

    /// Decides at `now`; on success applies (seals) the events.
    @discardableResult
    mutating func run(_ command: CaseCommand, by principal: Principal) -> Result<[CaseEvent], CaseRejection> {
        let result = CaseEngine.decide(command, on: current, template: template, by: principal, at: now)
        if case .success(let new) = result { apply(new) }
        return result
    }

    /// Like `run`, but records a test failure when the command is refused.
    mutating func must(_ command: CaseCommand, by principal: Principal, sourceLocation: SourceLocation = #_sourceLocation) {
        if case .failure(let refusal) = run(command, by: principal) {
            Issue.record("\(command) by \(principal.name) refused: \(refusal)", sourceLocation: sourceLocation)
        }
    }

    /// The rejection of a command that must be refused (the case is left unchanged).
    mutating func refusal(_ command: CaseCommand, by principal: Principal, sourceLocation: SourceLocation = #_sourceLocation) -> CaseRejection? {
        let before = current
        switch run(command, by: principal) {
        case .success(let events):
            Issue.record("\(command) by \(principal.name) was accepted: \(events)", sourceLocation: sourceLocation)
            return nil
        case .failure(let refusal):
            #expect(current == before, sourceLocation: sourceLocation)
            return refusal
        }
    }

    mutating func apply(_ new: [CaseEvent]) {
        for event in new {
            // Sealed into a real hash chain, as the daemon does.
            let sealed = AuditEvent.seal(event.record, chain: "C-1", seq: self.seq + 1,
                                         prev: events.last?.hash ?? AuditEvent.genesisPrev)
            current = CaseEngine.evolve(current, event, caseID: "C-1", seq: sealed.seq, hash: sealed.hash, template: template)
            events.append(sealed)
        }
    }

    /// Raises and applies what is overdue at `now`.
    @discardableResult
    mutating func tickOverdue() -> [CaseEvent] {
        let raised = CaseEngine.overdue(c, template: template, at: now)
        apply(raised)
        return raised
    }

    mutating func advanceTime(days: Int64 = 0, seconds: Int64 = 0) {
        now = now.adding(seconds: days * Fixture.day + seconds)
    }

    // Shorthands for the common commands.
    mutating func attach(_ kind: String, by principal: Principal = Fixture.ra) {
        must(.attach(Attachment(kind: kind, sha256: Fixture.hex)), by: principal)
    }
    mutating func sign(_ transition: String, _ meaning: SignatureMeaning, by principal: Principal) {
        must(.sign(transition: transition, meaning: meaning.rawValue, reason: nil), by: principal)
    }
    mutating func advance(_ transition: String, by principal: Principal, reason: String? = "because") {
        must(.advance(transition: transition, reason: reason), by: principal)
    }

    /// Drives the fixture case from discovery into classification.
    mutating func toClassification() {
        attach("tpp", by: Fixture.lead)
        sign("classify", .approved, by: Fixture.qa)
        advance("classify", by: Fixture.lead)
    }

    /// … and on into the MAA assessment.
    mutating func toAssessment() {
        toClassification()
        attach("dossier"); attach("gmo-permit")
        sign("submit-maa", .approved, by: Fixture.qa)
        sign("submit-maa", .approved, by: Fixture.qa2)
        sign("submit-maa", .responsible, by: Fixture.qp)
        advance("submit-maa", by: Fixture.ra)
    }
}
