import Testing
@testable import AuditLog

@Suite struct ChainVerifierTests {
    /// Runs events through a verifier; returns all breaks reported by `finish`.
    static func verify(_ events: [AuditEvent], expectedHeads: [String: String] = [:]) -> [ChainBreak] {
        var verifier = ChainVerifier()
        for event in events { _ = verifier.check(event) }
        return verifier.finish(expectedHeads: expectedHeads)
    }

    /// The single break expected, as (chain, seq, reason fragment).
    static func expectOneBreak(
        _ breaks: [ChainBreak], chain: String, seq: Int64, reason: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(breaks.count == 1, "\(breaks)", sourceLocation: sourceLocation)
        #expect(breaks.first?.chain == chain, sourceLocation: sourceLocation)
        #expect(breaks.first?.seq == seq, sourceLocation: sourceLocation)
        #expect(breaks.first?.reason.contains(reason) == true, "\(breaks)", sourceLocation: sourceLocation)
    }

    let chain = makeChain("C-1", count: 5)

    @Test func intactChainPasses() {
        #expect(Self.verify(chain).isEmpty)
        #expect(Self.verify(chain, expectedHeads: ["C-1": chain[4].hash]).isEmpty)
    }

    @Test func changedDataIsAHashMismatchAtThatEvent() {
        var events = chain
        events[2].data["text"] = "forged"
        Self.expectOneBreak(Self.verify(events), chain: "C-1", seq: 3, reason: "hash mismatch")
    }

    @Test func changedActorIsAHashMismatch() {
        var events = chain
        events[1].actor = "mallory"
        Self.expectOneBreak(Self.verify(events), chain: "C-1", seq: 2, reason: "hash mismatch")
    }

    @Test func changedTimeIsAHashMismatch() {
        var events = chain
        events[3].at = events[3].at.adding(seconds: -3600)
        Self.expectOneBreak(Self.verify(events), chain: "C-1", seq: 4, reason: "hash mismatch")
    }

    @Test func changedAndRehashedEventBreaksTheNextLink() {
        var events = chain
        events[2].data["text"] = "forged"
        events[2].hash = events[2].computedHash()
        Self.expectOneBreak(Self.verify(events), chain: "C-1", seq: 4, reason: "prev does not match")
    }

    @Test func rehashedLastEventIsOnlyCaughtByTheExpectedHead() {
        var events = chain
        events[4].data["text"] = "forged"
        events[4].hash = events[4].computedHash()
        #expect(Self.verify(events).isEmpty)
        Self.expectOneBreak(
            Self.verify(events, expectedHeads: ["C-1": chain[4].hash]), chain: "C-1", seq: 6, reason: "expected head")
    }

    @Test func removedMiddleEventIsAGapAtTheMissingSeq() {
        var events = chain
        events.remove(at: 2)
        Self.expectOneBreak(Self.verify(events), chain: "C-1", seq: 3, reason: "seq 3 missing: found seq 4")
    }

    @Test func removedFirstEvent() {
        Self.expectOneBreak(Self.verify(Array(chain.dropFirst())), chain: "C-1", seq: 1, reason: "seq 1 is missing")
    }

    @Test func reorderedEventsBreakAtTheFirstMisplacedOne() {
        var events = chain
        events.swapAt(2, 3)
        Self.expectOneBreak(Self.verify(events), chain: "C-1", seq: 3, reason: "found seq 4")
    }

    @Test func duplicatedEvent() {
        var events = chain
        events.insert(chain[1], at: 2)
        Self.expectOneBreak(Self.verify(events), chain: "C-1", seq: 3, reason: "found seq 2 again")
    }

    @Test func wrongPrevEvenWithAValidHash() {
        var events = chain
        events[2].prev = chain[0].hash
        events[2].hash = events[2].computedHash()
        Self.expectOneBreak(Self.verify(events), chain: "C-1", seq: 3, reason: "prev does not match the hash of seq 2")
    }

    @Test func firstEventMustHaveGenesisPrev() {
        var events = chain
        events[0] = AuditEvent.seal(events[0].record, chain: "C-1", seq: 1, prev: String(repeating: "1", count: 64))
        Self.expectOneBreak(Self.verify(events), chain: "C-1", seq: 1, reason: "64 zeros")
    }

    @Test func eventSplicedFromAnotherChain() {
        let other = makeChain("C-2", count: 5)
        var events = chain
        var spliced = other[2]
        spliced.chain = "C-1"  // relabelled to fit in
        events[2] = spliced
        Self.expectOneBreak(Self.verify(events), chain: "C-1", seq: 3, reason: "hash mismatch")
        // Relabelled and re-hashed: its prev still points into the other chain.
        spliced.hash = spliced.computedHash()
        events[2] = spliced
        Self.expectOneBreak(Self.verify(events), chain: "C-1", seq: 3, reason: "prev does not match")
    }

    @Test func truncatedLastEventIsOnlyDetectedWithTheExpectedHead() {
        let truncated = Array(chain.dropLast())
        #expect(Self.verify(truncated).isEmpty)
        Self.expectOneBreak(
            Self.verify(truncated, expectedHeads: ["C-1": chain[4].hash]), chain: "C-1", seq: 5,
            reason: "events after seq 4 are missing")
    }

    @Test func expectedChainWithNoEvents() {
        Self.expectOneBreak(
            Self.verify(chain, expectedHeads: ["C-1": chain[4].hash, "C-7": chain[0].hash]), chain: "C-7", seq: 1,
            reason: "no events")
    }

    @Test func onlyTheFirstBreakPerChainIsReportedButEventsAreStillCounted() {
        var events = chain
        events[1].actor = "mallory"
        events[3].actor = "mallory"
        var verifier = ChainVerifier()
        let reported = events.compactMap { verifier.check($0) }
        #expect(reported.map(\.seq) == [2])
        #expect(verifier.totalEvents == 5)
        let summary = verifier.chains
        #expect(summary.count == 1)
        #expect(summary[0].events == 5)
        #expect(summary[0].verifiedThrough == 1)
        #expect(summary[0].firstBreak?.seq == 2)
        // A broken chain is not also reported for its head.
        #expect(verifier.finish(expectedHeads: ["C-1": "x"]).count == 1)
    }

    @Test func interleavedChainsOneBroken() {
        let a = makeChain("A", count: 4)
        let b = makeChain("B", count: 3)
        var c = makeChain("C", count: 4)
        c[1].role = "admin"
        // Round-robin interleaving: A1 B1 C1 A2 B2 C2 …
        var events: [AuditEvent] = []
        for i in 0..<4 {
            for chain in [a, b, c] where i < chain.count { events.append(chain[i]) }
        }
        var verifier = ChainVerifier()
        for event in events { _ = verifier.check(event) }
        Self.expectOneBreak(
            verifier.finish(expectedHeads: ["A": a[3].hash, "B": b[2].hash]), chain: "C", seq: 2,
            reason: "hash mismatch")
        #expect(verifier.chains.map(\.name) == ["A", "B", "C"])
        #expect(verifier.chains.map(\.events) == [4, 3, 4])
        #expect(verifier.chains.map(\.head) == [a[3].hash, b[2].hash, c[3].hash])
        #expect(verifier.totalEvents == 11)
    }
}
