import AuditLog
import Testing
@testable import Storage

@Suite("Verification from storage")
struct VerificationTests {
    let t0 = Timestamp(seconds: 1_800_000_000)

    /// Builds `cases` cases of `events` events each, each case in one commit.
    func load(_ db: TestDatabase, cases: Int, events: Int) async throws -> [String] {
        _ = try await publishSampleTemplate(db.store)
        var ids: [String] = []
        for c in 0..<cases {
            var builder = CaseBuilder(id: try await db.store.allocateCaseID(), at: t0)
            for e in 1..<events {
                builder.append(at: t0.adding(seconds: Int64(e)), data: ["text": .string("case \(c) note \(e)")])
            }
            try await db.store.commit(builder.write(since: 0))
            ids.append(builder.current.id)
        }
        return ids
    }

    @Test(arguments: Backend.allCases)
    func hundredThousandEventsVerify(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)
        defer { Task { await db.store.close() } }
        _ = try await load(db, cases: 1_000, events: 100)
        let report = try await db.store.verify(chain: nil)
        #expect(report.isIntact, "\(report.broken.prefix(3))")
        #expect(report.chains == 1_001)  // the cases and the system chain
        #expect(report.events == 100_001)
    }

    /// Tampering as a database superuser would: with the append-only
    /// triggers out of the way. Verification names every broken chain and
    /// its first bad seq, and leaves intact chains alone.
    @Test(arguments: Backend.allCases)
    func tamperingIsFoundAtTheFirstBadSeq(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)
        defer { Task { await db.store.close() } }
        let ids = try await load(db, cases: 6, events: 10)
        if backend == .postgres {
            try db.raw("ALTER TABLE audit_events DISABLE TRIGGER USER")
        } else {
            try db.raw("DROP TRIGGER audit_events_no_update")
            try db.raw("DROP TRIGGER audit_events_no_delete")
        }
        // ids[0]: a changed member. ids[1]: a removed middle event.
        // ids[2]: the last event removed (chain shorter than the case says).
        // ids[3]: the projection's head rewritten. ids[4]: a case row deleted (orphan chain).
        try db.raw("UPDATE audit_events SET data = $1 WHERE chain = $2 AND seq = 4", [#"{"text":"forged"}"#, ids[0]])
        try db.raw("DELETE FROM audit_events WHERE chain = $1 AND seq = 6", [ids[1]])
        try db.raw("DELETE FROM audit_events WHERE chain = $1 AND seq = 10", [ids[2]])
        try db.raw("UPDATE cases SET head = $1 WHERE id = $2", [String(repeating: "f", count: 64), ids[3]])
        try db.raw("DELETE FROM cases WHERE id = $1", [ids[4]])

        let report = try await db.store.verify(chain: nil)
        let found = Dictionary(report.broken.map { ($0.chain, $0.seq) }, uniquingKeysWith: min)
        #expect(found[ids[0]] == 4)
        #expect(found[ids[1]] == 6)
        #expect(found[ids[2]] == 10)
        #expect(found[ids[3]] == 10)
        #expect(found[ids[4]] == 1)
        #expect(found[ids[5]] == nil)
        #expect(found["system"] == nil)
        #expect(report.broken.count == 5, "\(report.broken)")

        // One chain at a time gives the same answer.
        #expect(try await db.store.verify(chain: ids[0]).broken.map(\.seq) == [4])
        #expect(try await db.store.verify(chain: ids[5]).isIntact)
    }

    /// The verify hashes `data` and `at` as stored, without parsing them, so
    /// rewriting them into equivalent text is found too, and text that is no
    /// JSON at all is a broken chain, not an error.
    @Test(arguments: Backend.allCases)
    func equivalentOrUnreadableRewritesAreBrokenChains(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)
        defer { Task { await db.store.close() } }
        let ids = try await load(db, cases: 5, events: 6)
        if backend == .postgres {
            try db.raw("ALTER TABLE audit_events DISABLE TRIGGER USER")
        } else {
            try db.raw("DROP TRIGGER audit_events_no_update")
        }
        let original = try await db.store.trail(chain: ids[0], from: 3, limit: 1)[0]
        let second = try await db.store.trail(chain: ids[1], from: 2, limit: 1)[0]
        // The same data with a space; the same instant written with an offset;
        // data that is not JSON; data that tries to smuggle in other members.
        try db.raw("UPDATE audit_events SET data = $1 WHERE chain = $2 AND seq = 3", [#"{"text": "case 0 note 2"}"#, ids[0]])
        try db.raw("UPDATE audit_events SET at = $1 WHERE chain = $2 AND seq = 2",
                   [second.at.rfc3339.replacingOccurrences(of: "Z", with: "+00:00"), ids[1]])
        try db.raw("UPDATE audit_events SET data = $1 WHERE chain = $2 AND seq = 5", ["not json {", ids[2]])
        try db.raw("UPDATE audit_events SET data = $1 WHERE chain = $2 AND seq = 4",
                   [#"{"text":"case 3 note 3"},"prev":"x""#, ids[3]])

        #expect(original.data == ["text": .string("case 0 note 2")])
        #expect(second.at.rfc3339.hasSuffix("Z"))
        let report = try await db.store.verify(chain: nil)
        let found = Dictionary(report.broken.map { ($0.chain, $0.seq) }, uniquingKeysWith: min)
        #expect(found == [ids[0]: 3, ids[1]: 2, ids[2]: 5, ids[3]: 4], "\(report.broken)")
        #expect(report.broken.allSatisfy { $0.reason.hasPrefix("hash mismatch") })
        #expect(try await db.store.verify(chain: ids[4]).isIntact)
    }
}
