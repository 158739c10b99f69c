import AuditLog
import Testing

@Suite("atmpctl audit verify")
struct AuditVerifyCommandTests {
    /// A trail as AUDIT TRAIL would export it: canonical lines with hashes.
    func trail(chain: String = "C-000001", events: Int = 5) -> (lines: [String], head: String) {
        var chainState = AuditChain(name: chain)
        var lines: [String] = []
        var head = ""
        for i in 1...events {
            let event = chainState.append(AuditRecord(
                at: Timestamp(seconds: 1_800_000_000 + Int64(i)), actor: "alice", role: "project-lead",
                action: "case.noted", data: ["text": .string("note \(i)")]))
            lines.append(String(decoding: event.canonicalJSON(includingHash: true), as: UTF8.self))
            head = event.hash
        }
        return (lines, head)
    }

    @Test func anIntactTrailVerifies() throws {
        let (lines, head) = trail()
        let path = try temporaryFile("trail.jsonl", lines.joined(separator: "\n") + "\n")
        let run = try atmpctl(["audit", "verify", path, "--head", head])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("chain C-000001: 5 events, head \(head) (matches the expected head)"))
    }

    @Test func aChangedEventNamesTheChainAndSeq() throws {
        var (lines, _) = trail()
        lines[2] = lines[2].replacingOccurrences(of: "note 3", with: "note X")
        let path = try temporaryFile("trail.jsonl", lines.joined(separator: "\n") + "\n")
        let run = try atmpctl(["audit", "verify", path])
        #expect(run.status == 65)
        #expect(run.stderr.contains("broken: chain=C-000001 seq=3"), "\(run.stderr)")
    }

    @Test func removedAndReorderedEventsAreFound() throws {
        var (lines, head) = trail()
        var removed = lines
        removed.remove(at: 1)
        var run = try atmpctl(["audit", "verify", try temporaryFile("t.jsonl", removed.joined(separator: "\n"))])
        #expect(run.status == 65)
        #expect(run.stderr.contains("chain=C-000001 seq=2"), "\(run.stderr)")

        lines.swapAt(3, 4)
        run = try atmpctl(["audit", "verify", try temporaryFile("t.jsonl", lines.joined(separator: "\n"))])
        #expect(run.status == 65)
        #expect(run.stderr.contains("chain=C-000001 seq=4"), "\(run.stderr)")

        // The last event removed: only the expected head can tell.
        let (full, _) = trail()
        let cut = try temporaryFile("t.jsonl", full.dropLast().joined(separator: "\n"))
        #expect(try atmpctl(["audit", "verify", cut]).status == 0)
        run = try atmpctl(["audit", "verify", cut, "--head", "C-000001=\(head)"])
        #expect(run.status == 65)
        #expect(run.stderr.contains("chain=C-000001 seq=5"), "\(run.stderr)")
    }

    @Test func garbageIsReportedNotCrashedOn() throws {
        let run = try atmpctl(["audit", "verify", try temporaryFile("t.jsonl", "not json\n{\"chain\": 1}\n\u{1}\n")])
        #expect(run.status == 65)
        #expect(run.stderr.contains("unreadable: line 1"))
    }

    @Test func aBareHeadNeedsOneChain() throws {
        let a = trail(chain: "C-000001", events: 2)
        let b = trail(chain: "C-000002", events: 2)
        let path = try temporaryFile("t.jsonl", (a.lines + b.lines).joined(separator: "\n"))
        #expect(try atmpctl(["audit", "verify", path]).status == 0)
        let run = try atmpctl(["audit", "verify", path, "--head", a.head])
        #expect(run.status == 65)
        #expect(run.stderr.contains("--head CHAIN=HEX"))
    }
}
