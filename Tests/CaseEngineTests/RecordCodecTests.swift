import AuditLog
import Testing
import Workflow

@testable import CaseEngine

@Suite struct RecordCodecTests {
    static let at = Timestamp(microseconds: 1_800_000_000_123_456)
    static let kinds: [CaseEvent.Kind] = [
        .opened(template: "fixture", templateVersion: 2, title: "AAV9", state: "discovery", stage: "research",
                attributes: ["sponsor": "Acme"], clocks: []),
        .opened(template: "fixture", templateVersion: 2, title: "AAV9", state: "s", stage: "research",
                attributes: [:], clocks: [ClockEffect(.start, "maa"), ClockEffect(.stop, "cta")]),
        .advanced(transition: "go", from: "a", to: "b", reason: nil, clocks: []),
        .advanced(transition: "go", from: "a", to: "b", reason: "why", clocks: [ClockEffect(.pause, "maa")]),
        .documentAttached(kind: "tpp", sha256: Fixture.hex, uri: nil, title: nil, reason: nil),
        .documentAttached(kind: "tpp", sha256: Fixture.hex, uri: "s3://b/k", title: "TPP", reason: "v2"),
        .signatureApplied(transition: "go", meaning: .responsible, reason: nil, record: "h7"),
        .signatureApplied(transition: "go", meaning: .approved, reason: "ok", record: "h8"),
        .held(reason: "funding"),
        .resumed(reason: "funded"),
        .noted(text: "a \"quoted\"\nline"),
        .attributesChanged(changes: ["sponsor": AttributeChange(old: "A", new: "B"),
                                     "route": AttributeChange(old: nil, new: "central")], reason: "merger"),
        .overdue(Overdue(subject: .deadline, name: "discovery", limitSeconds: 10, elapsedSeconds: 11)),
        .overdue(Overdue(subject: .clock, name: "maa", limitSeconds: 10, elapsedSeconds: 11)),
    ]

    @Test(arguments: kinds)
    func roundTrip(_ kind: CaseEvent.Kind) throws {
        let event = CaseEvent(at: Self.at, actor: "lena", role: "lead", kind: kind)
        #expect(try CaseEvent(record: event.record) == event)
    }

    @Test func dataIsExactlyAsTheAuditFormatSays() {
        let record = CaseEvent(at: Self.at, actor: "lena", role: "lead", kind: Self.kinds[1]).record
        #expect(record.action == "case.opened")
        #expect(record.data == [
            "template": "fixture", "version": 2, "title": "AAV9", "state": "s", "stage": "research",
            "attributes": [:],
            "clocks": [["action": "start", "clock": "maa"], ["action": "stop", "clock": "cta"]],
        ])
        let advanced = CaseEvent(at: Self.at, actor: "a", role: "r", kind: Self.kinds[2]).record
        #expect(advanced.data == ["transition": "go", "from": "a", "to": "b", "reason": nil])
        let overdue = CaseEvent(at: Self.at, actor: "system", role: "system", kind: Self.kinds[12]).record
        #expect(overdue.action == "case.overdue")
        #expect(overdue.data == ["subject": "deadline", "name": "discovery", "limit-seconds": 10, "elapsed-seconds": 11])
        let sig = CaseEvent(at: Self.at, actor: "a", role: "r", kind: Self.kinds[6]).record
        #expect(sig.action == "signature.applied")
        #expect(sig.data == ["transition": "go", "meaning": "responsible", "reason": nil, "record": "h7"])
    }

    static let malformed: [(String, [String: JSONValue], String)] = [
        ("case.exploded", [:], "not a case event"),
        ("case.held", [:], "missing member reason"),
        ("case.held", ["reason": 3], "must be a string"),
        ("case.held", ["reason": "r", "extra": "x"], "unexpected members: extra"),
        ("case.noted", ["text": "t", "reason": "x"], "unexpected members: reason"),
        ("case.opened", ["template": "t", "version": "1", "title": "t", "state": "s", "stage": "g", "attributes": [:]],
         "version must be an integer"),
        ("case.opened", ["template": "t", "version": 0, "title": "t", "state": "s", "stage": "g", "attributes": [:]],
         "not a template version"),
        ("case.opened", ["template": "t", "version": 1, "title": "t", "state": "s", "stage": "g", "attributes": ["a": 1]],
         "attributes.a must be a string"),
        ("case.advanced", ["transition": "t", "from": "a", "to": "b", "reason": nil, "clocks": []], "non-empty"),
        ("case.advanced", ["transition": "t", "from": "a", "to": "b", "reason": nil,
                           "clocks": [["action": "explode", "clock": "maa"]]], "unknown clock action"),
        ("case.advanced", ["transition": "t", "from": "a", "to": "b"], "missing member reason"),
        ("signature.applied", ["transition": "t", "meaning": "liked", "reason": nil, "record": "h"], "unknown signature meaning"),
        ("case.attributes-changed", ["changes": [:], "reason": "r"], "non-empty"),
        ("case.attributes-changed", ["changes": ["a": ["new": "x"]], "reason": "r"], "changes.a"),
        ("case.overdue", ["subject": "mood", "name": "x", "limit-seconds": 1, "elapsed-seconds": 2], "unknown overdue subject"),
        ("document.attached", ["kind": "k", "sha256": "s", "uri": 1, "title": nil, "reason": nil], "string or null"),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedRecordsAreRejected(_ index: Int) {
        let (action, data, text) = Self.malformed[index]
        let record = AuditRecord(at: Self.at, actor: "a", role: "r", action: action, data: data)
        do {
            let event = try CaseEvent(record: record)
            Issue.record("accepted \(action) \(data) as \(event)")
        } catch {
            #expect(error.description.contains(text), "\(error)")
        }
    }

    @Test func aWholeChainReplaysToTheSameCase() throws {
        var h = Harness.opened()
        h.toClassification()
        h.must(.setAttributes(["hospital": "SU"], reason: "chosen"), by: Fixture.ra)
        h.must(.hold(reason: "x"), by: Fixture.ra)
        h.must(.resume(reason: "y"), by: Fixture.ra)
        h.advanceTime(days: 70)
        h.tickOverdue()
        let rebuilt = try CaseEngine.replay(h.events, template: h.template)
        #expect(rebuilt == h.current)
    }

    @Test func replayRejectsAChainNotStartingWithOpened() {
        var h = Harness.opened()
        h.must(.note(text: "n"), by: Fixture.lead)
        #expect(throws: CaseReplayError.self) { try CaseEngine.replay(Array(h.events.dropFirst()), template: h.template) }
        #expect(throws: CaseReplayError.self) { try CaseEngine.replay(h.events + h.events, template: h.template) }
    }
}

extension CaseEvent.Kind: CustomTestStringConvertible {
    public var testDescription: String { "\(self)".prefix(60).description }
}

/// `CaseEvent.sealed` writes `data` in precomputed key order instead of sorting
/// a dictionary: it must give exactly the bytes (and so the hash) of the
/// generic path, for every event kind and for text that needs escaping.
@Suite struct ShapeOrderedSealTests {
    static let at = Timestamp(seconds: 1_800_000_000)
    static let tricky = "quote \" backslash \\ newline \n tab \t bell \u{7} é 😀 \u{2028}"

    static let kinds: [CaseEvent.Kind] = [
        .opened(template: "t", templateVersion: 3, title: tricky, state: "a", stage: "s", attributes: [:]),
        .opened(template: "t", templateVersion: 1, title: "T", state: "a", stage: "s",
                attributes: ["zeta": "1", "alpha": tricky, "é": "x", "b-c": "y"],
                clocks: [ClockEffect(.start, "maa"), ClockEffect(.pause, "ctx")]),
        .advanced(transition: "go", from: "a", to: "b", reason: nil, clocks: []),
        .advanced(transition: "to", from: "x", to: "transition", reason: tricky, clocks: [ClockEffect(.stop, "maa")]),
        .documentAttached(kind: "tpp", sha256: String(repeating: "0f", count: 32), uri: nil, title: nil, reason: nil),
        .documentAttached(kind: "tpp", sha256: String(repeating: "a1", count: 32), uri: "dms://x", title: tricky,
                          reason: "why"),
        .signatureApplied(transition: "go", meaning: .approved, reason: nil, record: String(repeating: "e", count: 64)),
        .signatureApplied(transition: "go", meaning: .responsible, reason: tricky, record: "r"),
        .held(reason: tricky),
        .resumed(reason: "back"),
        .noted(text: tricky),
        .attributesChanged(changes: ["sponsor": AttributeChange(old: nil, new: "A"),
                                     "class": AttributeChange(old: "x", new: "")], reason: "r"),
        .overdue(Overdue(subject: .clock, name: "maa", limitSeconds: 100, elapsedSeconds: 101)),
    ]

    @Test(arguments: kinds)
    func sealedEqualsTheGenericSeal(kind: CaseEvent.Kind) {
        let event = CaseEvent(at: Self.at, actor: "alice", role: "lead", kind: kind)
        let prev = String(repeating: "7", count: 64)
        let fast = event.sealed(chain: "C-1", seq: 42, prev: prev)
        let generic = AuditEvent.seal(event.record, chain: "C-1", seq: 42, prev: prev)
        #expect(fast == generic)
        #expect(fast.hasValidHash)

        var data: [UInt8] = []
        event.appendCanonicalData(to: &data)
        #expect(String(decoding: data, as: UTF8.self)
            == String(decoding: JSONValue.object(event.record.data).canonicalJSON(), as: UTF8.self))
    }
}
