import AuditLog
import CaseEngine
import Workflow

/// RFC 8785 canonical JSON and SHA-256 of typical audit events: the bytes an
/// event's hash covers, and the hash itself.
///
/// Three figures, each over the same mix of events:
/// - canonical: `AuditEvent.canonicalJSON(includingHash: false)`, the generic
///   writer (it sorts the keys of `data`), as verification and export use it;
/// - hash: `AuditEvent.computedHash()`, the canonical JSON plus SHA-256 and
///   hex, which is what `AuditEvent.seal` and chain verification do per event;
/// - case seal: `CaseEvent.sealed`, the engine's path, whose `data` members
///   are written in a fixed order instead of sorted.
enum CanonicalBenchmark {
    static let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

    /// One case's life in miniature, plus a system event: the shapes and
    /// sizes (100–400 bytes of JSON) the audit log mostly holds.
    static func caseEvents() -> [CaseEvent] {
        let at = Timestamp(seconds: 1_800_000_000)
        func event(_ seconds: Int64, _ actor: String, _ role: String, _ kind: CaseEvent.Kind) -> CaseEvent {
            CaseEvent(at: at.adding(microseconds: seconds * 1_000_123), actor: actor, role: role, kind: kind)
        }
        return [
            event(0, "alice", "author", .opened(template: "cell-therapy", templateVersion: 3,
                                                title: "CAR-T batch 4711 for the phase I study", state: "drafting",
                                                stage: "preclinical",
                                                attributes: ["sponsor": "Karolinska Institutet", "site": "Uppsala"],
                                                clocks: [ClockEffect(.start, "review")])),
            event(1, "alice", "author", .documentAttached(kind: "report", sha256: digest,
                                                          uri: "https://dms.example.org/docs/IB-2026-0042?rev=3",
                                                          title: "Investigator's Brochure, v3", reason: nil)),
            event(2, "alice", "author", .advanced(transition: "submit", from: "drafting", to: "review",
                                                  reason: nil, clocks: [ClockEffect(.pause, "review")])),
            event(3, "bob", "qa", .signatureApplied(transition: "return", meaning: .reviewed,
                                                    reason: "Checked against the \"batch record\"", record: digest)),
            event(4, "alice", "author", .advanced(transition: "return", from: "review", to: "drafting",
                                                  reason: "More work: see note", clocks: [])),
            event(5, "alice", "author", .noted(text: "Called the site:\nshipment delayed until Monday (Zoë)")),
        ]
    }

    struct Result {
        var events = 0
        var canonicalSeconds = 0.0
        var hashSeconds = 0.0
        var caseSealSeconds = 0.0
        /// Mean size of the hashed JSON.
        var meanBytes = 0

        func nanosPerEvent(_ seconds: Double) -> Double { seconds * 1e9 / Double(events) }
    }

    static func run(events target: Int) -> Result {
        let target = max(target, 1)
        let cases = caseEvents()
        var prev = AuditEvent.genesisPrev
        var events: [AuditEvent] = []
        for (i, event) in cases.enumerated() {
            let sealed = event.sealed(chain: "C-000123", seq: Int64(i + 1), prev: prev)
            events.append(sealed)
            prev = sealed.hash
        }
        events.append(AuditEvent.seal(
            AuditRecord(at: Timestamp(seconds: 1_800_000_100), actor: AuditEvent.systemActor, role: "system",
                        action: "auth.failed", data: ["user": "mallory", "peer": "unix", "failures": 3]),
            chain: AuditEvent.systemChain, seq: 42, prev: digest))
        // Both paths must agree, or the figures compare different work.
        for event in events where !event.hasValidHash { fatalError("benchmark event \(event.action) has a bad hash") }

        var result = Result(events: target)
        result.meanBytes = events.map { $0.canonicalJSON(includingHash: false).count }.reduce(0, +) / events.count
        var checksum = 0

        var watch = Stopwatch()
        for i in 0..<target {
            checksum &+= events[i % events.count].canonicalJSON(includingHash: false).count
        }
        result.canonicalSeconds = watch.seconds

        watch = Stopwatch()
        for i in 0..<target {
            checksum &+= events[i % events.count].computedHash().utf8.count
        }
        result.hashSeconds = watch.seconds

        watch = Stopwatch()
        for i in 0..<target {
            let index = i % cases.count
            checksum &+= cases[index].sealed(chain: "C-000123", seq: Int64(index + 1), prev: digest).hash.utf8.count
        }
        result.caseSealSeconds = watch.seconds

        if checksum == 42 { print("") }  // keeps the work observable
        return result
    }
}
