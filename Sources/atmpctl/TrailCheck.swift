import AuditLog

/// What `atmpctl audit verify` prints: a summary line per chain when intact,
/// or one line per broken chain and unreadable line.
struct TrailCheck {
    var ok: Bool
    var summary: [String]
    var failures: [String]
}

/// `--head` values: `CHAIN=HEX`, or a bare `HEX` when the trail holds one chain.
func verifyTrail(_ bytes: [UInt8], heads: [String]) -> TrailCheck {
    var expected: [String: String] = [:]
    var bare: [String] = []
    for head in heads {
        if let eq = head.lastIndex(of: "=") {
            expected[String(head[..<eq])] = String(head[head.index(after: eq)...])
        } else {
            bare.append(head)
        }
    }
    if !bare.isEmpty {
        // A bare head applies to the trail's only chain.
        let chains = TrailVerifier.verify(trail: bytes).chains
        guard chains.count == 1, bare.count == 1 else {
            return TrailCheck(
                ok: false, summary: [],
                failures: ["atmpctl: --head HEX needs a trail of exactly one chain; use --head CHAIN=HEX"])
        }
        expected[chains[0].name] = bare[0]
    }
    let report = TrailVerifier.verify(trail: bytes, expectedHeads: expected)
    if report.isIntact {
        var lines = report.chains.map { chain in
            "chain \(chain.name): \(chain.events) events, head \(chain.head)"
                + (expected[chain.name] != nil ? " (matches the expected head)" : "")
        }
        lines.append("verified: \(report.chains.count) chains, \(report.totalEvents) events, no break")
        if report.chains.isEmpty { lines = ["verified: the trail is empty"] }
        return TrailCheck(ok: true, summary: lines, failures: [])
    }
    var failures = report.breaks.map { "broken: chain=\($0.chain) seq=\($0.seq)"
        + ($0.line.map { " line=\($0)" } ?? "") + ": \($0.reason)" }
    failures += report.unreadableLines.map { "unreadable: line \($0.line): \($0.reason)" }
    failures.append("audit verify: \(report.breaks.count) broken chains, \(report.unreadableLines.count) unreadable lines")
    return TrailCheck(ok: false, summary: [], failures: failures)
}
