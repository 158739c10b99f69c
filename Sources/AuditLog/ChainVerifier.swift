/// The first point at which a chain could not be verified.
///
/// Invariant: events `1 ..< seq` of `chain` were verified intact; event `seq`
/// is the first one that is altered, missing, misplaced or unreadable. After a
/// break nothing more of the chain is trusted, so only the first is reported.
public struct ChainBreak: Sendable, Hashable, CustomStringConvertible {
    public var chain: String
    public var seq: Int64
    /// A human explanation, e.g. "hash mismatch: …" or "seq 3 missing: found seq 4 after seq 2".
    public var reason: String
    /// 1-based line number in a trail file, when the break was found in one.
    public var line: Int?

    public init(chain: String, seq: Int64, reason: String, line: Int? = nil) {
        self.chain = chain; self.seq = seq; self.reason = reason; self.line = line
    }

    public var description: String {
        "chain=\(chain) seq=\(seq)\(line.map { " line=\($0)" } ?? ""): \(reason)"
    }
}

/// What the verifier knows of one chain after the events it has seen.
public struct ChainSummary: Sendable, Hashable {
    public var name: String
    /// Events seen for the chain, including any after its break.
    public var events: Int64
    /// `hash` of the last event seen (the head the trail claims).
    public var head: String
    /// The highest `seq` up to which the chain was verified intact (0 if none).
    public var verifiedThrough: Int64
    /// The first break, or nil when the chain is intact as far as it goes.
    public var firstBreak: ChainBreak?
}

/// Verifies any number of chains from a stream of events, interleaved or not.
///
/// Keeps only a little state per chain (last `seq`, last `hash`, counts), so
/// millions of events need almost no memory. Per chain it checks, in order:
/// 1. `seq` continues the chain: 1 first, then each previous `seq` + 1. A
///    missing first event, a gap, a duplicate or a reordering breaks the chain
///    at the `seq` that was expected.
/// 2. `hash` equals the recomputed hash: an edited member breaks the chain at
///    that event.
/// 3. `prev` equals the previous event's `hash` (64 zeros for `seq` 1): an
///    event edited *and re-hashed* breaks the chain at the next event.
/// Only the first break per chain is reported; later events are counted but
/// not checked.
public struct ChainVerifier: Sendable {
    private struct ChainState: Sendable {
        var lastSeq: Int64 = 0
        var lastHash: String = AuditEvent.genesisPrev
        var events: Int64 = 0
        var headSeen: String = AuditEvent.genesisPrev
        var firstBreak: ChainBreak?
    }

    private var states: [String: ChainState] = [:]
    private var order: [String] = []
    /// Every event checked, across all chains.
    public private(set) var totalEvents: Int64 = 0

    public init() {}

    /// Checks the next event of its chain; returns a break if this event is
    /// the first one of its chain that cannot be verified.
    public mutating func check(_ event: AuditEvent) -> ChainBreak? {
        check(event, computedHash: event.computedHash())
    }

    /// As `check(_:)`, with the event's hash already computed by the caller
    /// (`event.computedHash()`): lets a caller hash many events in parallel
    /// and check them in order.
    public mutating func check(_ event: AuditEvent, computedHash: @autoclosure () -> String) -> ChainBreak? {
        check(chain: event.chain, seq: event.seq, prev: event.prev, hash: event.hash, computedHash: computedHash())
    }

    /// As `check(_:computedHash:)`, for an event as a store row holds it.
    public mutating func check(_ event: StoredEvent, computedHash: @autoclosure () -> String) -> ChainBreak? {
        check(chain: event.chain, seq: event.seq, prev: event.prev, hash: event.hash, computedHash: computedHash())
    }

    private mutating func check(
        chain: String, seq: Int64, prev: String, hash: String, computedHash: @autoclosure () -> String
    ) -> ChainBreak? {
        totalEvents += 1
        var state = takeState(chain)
        defer { states[chain] = state }
        state.events += 1
        state.headSeen = hash
        if state.firstBreak != nil { return nil }

        let expectedSeq = state.lastSeq + 1
        var reason: String?
        if seq != expectedSeq {
            reason = Self.sequenceProblem(expected: expectedSeq, found: seq)
        } else if case let computed = computedHash(), computed != hash {
            reason = "hash mismatch: the event's content was changed (recorded \(hash), computed \(computed))"
        } else if prev != state.lastHash {
            reason = expectedSeq == 1
                ? "prev of the first event must be 64 zeros, found \(prev)"
                : "prev does not match the hash of seq \(state.lastSeq) (expected \(state.lastHash), found \(prev)); an earlier event was changed and re-hashed, or this event belongs elsewhere"
        }
        if let reason {
            let found = ChainBreak(chain: chain, seq: expectedSeq, reason: reason)
            state.firstBreak = found
            return found
        }
        state.lastSeq = seq
        state.lastHash = hash
        return nil
    }

    /// Records a problem found outside `check` (an unreadable or non-canonical
    /// line) as a break of `chain` at its next expected `seq`, counting it as
    /// one event seen. Returns the break if it is the chain's first.
    @discardableResult
    public mutating func markBroken(chain: String, reason: String, line: Int? = nil) -> ChainBreak? {
        totalEvents += 1
        var state = takeState(chain)
        defer { states[chain] = state }
        state.events += 1
        guard state.firstBreak == nil else { return nil }
        let found = ChainBreak(chain: chain, seq: state.lastSeq + 1, reason: reason, line: line)
        state.firstBreak = found
        return found
    }

    /// Marks a chain broken at the event just checked (e.g. it verified but its
    /// line was not canonical). The event was accepted by `check`, so the break
    /// is at its `seq`; returns nil if the chain was already broken.
    @discardableResult
    mutating func markLastEventBroken(chain: String, reason: String, line: Int?) -> ChainBreak? {
        guard var state = states[chain], state.firstBreak == nil, state.lastSeq > 0 else { return nil }
        let found = ChainBreak(chain: chain, seq: state.lastSeq, reason: reason, line: line)
        state.firstBreak = found
        state.lastSeq -= 1  // the event at `seq` is no longer counted as verified
        states[chain] = state
        return found
    }

    /// Sets the line number on a chain's recorded first break (trail files).
    mutating func attachLine(_ line: Int, toBreakOf chain: String) {
        states[chain]?.firstBreak?.line = line
    }

    /// The chains seen so far, in order of first appearance.
    public var chains: [ChainSummary] {
        order.map { name in
            let state = states[name]!
            return ChainSummary(
                name: name, events: state.events, head: state.headSeen,
                verifiedThrough: state.lastSeq, firstBreak: state.firstBreak)
        }
    }

    /// Ends the stream: returns every chain's first break (in order of first
    /// appearance), plus, for chains given in `expectedHeads` (chain → head
    /// hash the server reports), a break when an otherwise intact chain does
    /// not end at that head. That is the only way to detect events removed
    /// from the *end* of a chain. A chain in `expectedHeads` with no events
    /// at all is reported broken at `seq` 1. Chains not in `expectedHeads` are
    /// not compared with any head.
    public func finish(expectedHeads: [String: String] = [:]) -> [ChainBreak] {
        var breaks: [ChainBreak] = []
        for name in order {
            let state = states[name]!
            if let found = state.firstBreak {
                breaks.append(found)
            } else if let expected = expectedHeads[name], expected != state.lastHash {
                breaks.append(ChainBreak(
                    chain: name, seq: state.lastSeq + 1,
                    reason: "chain ends at seq \(state.lastSeq) with head \(state.lastHash), but the expected head is \(expected): events after seq \(state.lastSeq) are missing, or the chain was rewritten"))
            }
        }
        for (name, expected) in expectedHeads.sorted(by: { CanonicalJSON.codePointPrecedes($0.key, $1.key) })
        where states[name] == nil {
            breaks.append(ChainBreak(
                chain: name, seq: 1, reason: "no events for this chain, but the expected head is \(expected)"))
        }
        return breaks
    }

    /// Removes and returns a chain's state (new chains are registered in
    /// `order`); callers put it back when done, so it is mutated without copies.
    private mutating func takeState(_ chain: String) -> ChainState {
        if let state = states.removeValue(forKey: chain) { return state }
        order.append(chain)
        return ChainState()
    }

    private static func sequenceProblem(expected: Int64, found: Int64) -> String {
        if expected == 1 {
            return "chain starts at seq \(found): seq 1 is missing"
        } else if found > expected {
            return "seq \(expected) missing: found seq \(found) after seq \(expected - 1) (event removed or out of order)"
        } else {
            return "expected seq \(expected), found seq \(found) again or out of order (duplicated or reordered event)"
        }
    }
}
