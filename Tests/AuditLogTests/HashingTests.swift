import Testing
@testable import AuditLog

/// Known answers computed independently with Python:
/// `hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()`.
@Suite struct HashingTests {
    static let opened = AuditRecord(
        at: try! Timestamp(rfc3339: "2026-11-22T21:04:05.123456Z"), actor: "märta", role: "sponsor",
        action: "case.opened",
        data: [
            "template": "ct-gene-therapy", "version": 3, "title": "AAV9 \"SMN1\"\nphase I",
            "state": "research", "stage": "research",
            "attributes": ["sponsor": "Acme Bio", "ödeme": "😀"],
        ])
    static let advanced = AuditRecord(
        at: try! Timestamp(rfc3339: "2026-11-23T08:00:00.000001Z"), actor: "alice", role: "qp",
        action: "case.advanced",
        data: [
            "transition": "submit", "from": "research", "to": "preclinical", "reason": nil,
            "clocks": [["action": "start", "clock": "review"]],
        ])
    static let hash1 = "b2bc7ab991bd7f2c541ef150ebec8a7df51ad9318c86f59057db7856bc33063b"
    static let hash2 = "c166e2650f75d147aa991d1068d6e0b86d411762294d6401c5ade7d66a8d13ae"

    @Test func knownAnswerForAFixedEvent() {
        let event = AuditEvent.seal(Self.opened, chain: "C-2026-0001", seq: 1, prev: AuditEvent.genesisPrev)
        #expect(text(event.canonicalJSON(includingHash: false)) == #"{"action":"case.opened","actor":"märta","at":"2026-11-22T21:04:05.123456Z","chain":"C-2026-0001","data":{"attributes":{"sponsor":"Acme Bio","ödeme":"😀"},"stage":"research","state":"research","template":"ct-gene-therapy","title":"AAV9 \"SMN1\"\nphase I","version":3},"prev":"0000000000000000000000000000000000000000000000000000000000000000","role":"sponsor","seq":1}"#)
        #expect(event.hash == Self.hash1)
        #expect(event.computedHash() == Self.hash1)
        #expect(text(event.canonicalJSON(includingHash: true)) == #"{"action":"case.opened","actor":"märta","at":"2026-11-22T21:04:05.123456Z","chain":"C-2026-0001","data":{"attributes":{"sponsor":"Acme Bio","ödeme":"😀"},"stage":"research","state":"research","template":"ct-gene-therapy","title":"AAV9 \"SMN1\"\nphase I","version":3},"hash":"b2bc7ab991bd7f2c541ef150ebec8a7df51ad9318c86f59057db7856bc33063b","prev":"0000000000000000000000000000000000000000000000000000000000000000","role":"sponsor","seq":1}"#)
    }

    @Test func chainLinksSecondEventToFirst() {
        var chain = AuditChain(name: "C-2026-0001")
        let first = chain.append(Self.opened)
        let second = chain.append(Self.advanced)
        #expect(first.hash == Self.hash1)
        #expect(second.seq == 2 && second.prev == Self.hash1)
        #expect(second.hash == Self.hash2)
        #expect(chain.lastSeq == 2 && chain.head == Self.hash2)
    }

    @Test func everyMemberIsCoveredByTheHash() {
        let event = AuditEvent.seal(Self.opened, chain: "C-1", seq: 1, prev: AuditEvent.genesisPrev)
        var variants: [AuditEvent] = []
        var e = event; e.chain = "C-2"; variants.append(e)
        e = event; e.seq = 2; variants.append(e)
        e = event; e.at = event.at.adding(microseconds: 1); variants.append(e)
        e = event; e.actor = "mallory"; variants.append(e)
        e = event; e.role = "admin"; variants.append(e)
        e = event; e.action = "case.noted"; variants.append(e)
        e = event; e.data["version"] = 4; variants.append(e)
        e = event; e.data["new"] = .null; variants.append(e)
        e = event; e.prev = String(repeating: "1", count: 64); variants.append(e)
        for variant in variants {
            #expect(variant.computedHash() != event.hash)
            #expect(!variant.hasValidHash)
        }
        // The hash member itself is not hashed.
        e = event; e.hash = String(repeating: "f", count: 64)
        #expect(e.computedHash() == event.hash)
    }

    @Test func jsonObjectHasTheSameCanonicalForm() {
        let event = AuditEvent.seal(Self.advanced, chain: "C-9", seq: 4, prev: Self.hash1)
        #expect(event.jsonObject(includingHash: true).canonicalJSON() == event.canonicalJSON(includingHash: true))
        #expect(event.jsonObject(includingHash: false).canonicalJSON() == event.canonicalJSON(includingHash: false))
        #expect(event.jsonObject(includingHash: false).objectValue?["hash"] == nil)
    }

    @Test func parsedLineRoundTrips() throws {
        let event = AuditEvent.seal(Self.advanced, chain: "C-9", seq: 4, prev: Self.hash1)
        let parsed = try AuditEvent(jsonLine: event.canonicalJSON(includingHash: true))
        #expect(parsed == event)
        #expect(parsed.hasValidHash)
        #expect(parsed.record == Self.advanced)
    }
}
