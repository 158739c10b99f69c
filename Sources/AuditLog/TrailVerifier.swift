/// A line of a trail file that could not be attributed to any chain (not
/// JSON, or JSON without a string `chain`), or an empty line inside the file.
public struct UnreadableLine: Sendable, Hashable, CustomStringConvertible {
    /// 1-based line number.
    public var line: Int
    public var reason: String
    public init(line: Int, reason: String) { self.line = line; self.reason = reason }
    public var description: String { "line \(line): \(reason)" }
}

/// The outcome of verifying a trail file.
public struct TrailReport: Sendable, Hashable {
    /// Every chain that appears in the trail, in order of first appearance.
    public var chains: [ChainSummary]
    /// Lines attributed to a chain (events, readable or not).
    public var totalEvents: Int64
    /// The first break of each broken chain, then head mismatches and
    /// expected chains missing from the trail (see `ChainVerifier.finish`).
    public var breaks: [ChainBreak]
    /// Lines that belong to no chain.
    public var unreadableLines: [UnreadableLine]

    /// True when every chain verified and every line was a canonical event.
    public var isIntact: Bool { breaks.isEmpty && unreadableLines.isEmpty }
}

/// Verifies an exported audit trail: JSON Lines, one event per line, each line
/// the canonical JSON of the event *with* its `hash` (as `AUDIT TRAIL` returns it).
///
/// Besides the chain checks of `ChainVerifier`, every line must be
/// byte-identical to the canonical JSON of the event it holds. A line that was
/// re-ordered, re-spaced or re-escaped was not written by the server; it is a
/// break of its chain ("not canonical"), even if its hash still verifies.
/// A line that is not an event breaks its chain when its `chain` member can be
/// read, and is otherwise listed in `unreadableLines`.
public enum TrailVerifier {
    /// Verifies the lines of a trail (without their `\n`). One empty last line
    /// is allowed (what splitting a file that ends in a newline gives); any
    /// other empty line is reported. `expectedHeads` maps chain names to the
    /// head hash the server reports, to detect events removed from the end.
    public static func verify(
        lines: some Sequence<some Collection<UInt8>>, expectedHeads: [String: String] = [:]
    ) -> TrailReport {
        var run = TrailRun()
        for line in lines {
            // Work on contiguous bytes so the per-line checks run specialized
            // code, whatever collection type the caller passes.
            let handled: Void? = line.withContiguousStorageIfAvailable { run.take($0) }
            if handled == nil { Array(line).withUnsafeBufferPointer { run.take($0) } }
        }
        return run.report(expectedHeads: expectedHeads)
    }

    /// Verifies a whole trail file's bytes, split at `\n`.
    public static func verify(trail: some Collection<UInt8>, expectedHeads: [String: String] = [:]) -> TrailReport {
        let bytes = Array(trail)
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        return verify(lines: lines, expectedHeads: expectedHeads)
    }

}

/// The state of one trail verification, fed line by line.
private struct TrailRun {
    var verifier = ChainVerifier()
    var unreadable: [UnreadableLine] = []
    var pendingEmptyLine: Int?
    var lineNumber = 0

    mutating func take(_ line: UnsafeBufferPointer<UInt8>) {
        lineNumber += 1
        if let empty = pendingEmptyLine {
            unreadable.append(UnreadableLine(line: empty, reason: "empty line"))
            pendingEmptyLine = nil
        }
        if line.isEmpty {
            pendingEmptyLine = lineNumber
            return
        }
        let event: AuditEvent
        do {
            event = try AuditEvent(jsonLine: line)
        } catch {
            if let chain = Self.chainName(in: line) {
                verifier.markBroken(chain: chain, reason: "unreadable event: \(error)", line: lineNumber)
            } else {
                unreadable.append(UnreadableLine(line: lineNumber, reason: "not an audit event: \(error)"))
            }
            return
        }
        if verifier.check(event) != nil {
            verifier.attachLine(lineNumber, toBreakOf: event.chain)
        } else if !event.canonicalJSON(includingHash: true).elementsEqual(line) {
            verifier.markLastEventBroken(
                chain: event.chain,
                reason: "not canonical: the line is not the canonical JSON of its event (members re-ordered, re-spaced or re-escaped), so it was not produced by the server",
                line: lineNumber)
        }
    }

    func report(expectedHeads: [String: String]) -> TrailReport {
        TrailReport(
            chains: verifier.chains, totalEvents: verifier.totalEvents,
            breaks: verifier.finish(expectedHeads: expectedHeads), unreadableLines: unreadable)
    }

    /// The `chain` member of a line that is JSON but not a valid event, if any.
    static func chainName(in line: UnsafeBufferPointer<UInt8>) -> String? {
        guard case .object(let members) = JSONParser.parseTolerantly(line) else { return nil }
        return members["chain"]?.stringValue
    }
}
