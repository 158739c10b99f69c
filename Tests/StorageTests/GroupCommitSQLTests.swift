import AuditLog
import CaseEngine
import PostgresClient
import Testing
@testable import Storage

/// The batch statement on a real PostgreSQL: several changes in one
/// statement, each still conflict-checked on its own.
@Suite("Group commit on PostgreSQL")
struct GroupCommitSQLTests {
    let t0 = Timestamp(seconds: 1_800_000_000)

    func opened(_ db: TestDatabase) async throws -> CaseBuilder { try await db.openedCase(at: t0) }

    func runBatch(_ db: TestDatabase, _ batch: [SQLStore.PendingCommit]) async throws -> [Result<Void, StoreError>] {
        try await db.store.pool.withConnection { connection in SQLStore.commitBatch(batch, on: connection) }
    }

    /// Runs the shared statement alone — no fallback to lone commits, which
    /// would hide a broken batch statement — and answers how many events it
    /// wrote per case.
    func runSharedStatement(_ db: TestDatabase, _ batch: [SQLStore.PendingCommit]) async throws -> [String: Int64] {
        let rows = try await db.store.pool.withConnection { connection in
            let (sql, params) = SQLStore.statement(writing: batch)
            return try connection.query(sql, params)
        }
        var written: [String: Int64] = [:]
        for row in rows { written[try row.string(0)] = try row.int(1) }
        return written
    }

    @Test func opensAndAdvancesCommitTogetherAndAStaleOneConflictsAlone() async throws {
        let db = try await TestDatabase.make(.postgres)
        defer { Task { await db.store.close() } }
        _ = try await publishSampleTemplate(db.store)
        var a = try await opened(db)
        var b = try await opened(db)
        var stale = try await opened(db)
        stale.append(at: t0.adding(seconds: 1))
        try await db.store.commit(stale.write(since: 1))  // now at version 2
        var staleCopy = CaseBuilder(continuing: stale.current)
        staleCopy.current.version = 1                       // decided on version 1
        staleCopy.append(at: t0.adding(seconds: 2))
        a.append(at: t0.adding(seconds: 1))
        a.append(at: t0.adding(seconds: 2))
        b.append(at: t0.adding(seconds: 1))
        let fresh = CaseBuilder(id: try await db.store.allocateCaseID(), at: t0)

        let outcomes = try await runBatch(db, [
            pending(a.write(since: 1)), pending(staleCopy.write(since: 1)), pending(fresh.write(since: 0)),
            pending(b.write(since: 1)),
        ])
        #expect((try? outcomes[0].get()) != nil)
        #expect(throws: StoreError.self) { try outcomes[1].get() }
        if case .failure(let error) = outcomes[1] { #expect(error.code == .conflict) }
        #expect((try? outcomes[2].get()) != nil)
        #expect((try? outcomes[3].get()) != nil)

        #expect(try await db.store.loadCase(id: a.current.id)?.case.version == 3)
        #expect(try await db.store.loadCase(id: b.current.id)?.case.version == 2)
        #expect(try await db.store.loadCase(id: stale.current.id)?.case.version == 2)
        #expect(try await db.store.loadCase(id: fresh.current.id)?.case == fresh.current)
        #expect(try await db.store.trail(chain: stale.current.id, from: 1, limit: 10).count == 2)
        try await db.expectIntact()
    }

    /// The shared statement itself (no fallback): it reports exactly the
    /// changes whose guard held, with their event counts.
    @Test func theSharedStatementReportsWhatItWrote() async throws {
        let db = try await TestDatabase.make(.postgres)
        defer { Task { await db.store.close() } }
        _ = try await publishSampleTemplate(db.store)
        var a = try await opened(db)
        var stale = try await opened(db)
        stale.current.version = 5
        stale.append(at: t0.adding(seconds: 1))
        a.append(at: t0.adding(seconds: 1))
        a.append(at: t0.adding(seconds: 2))
        let fresh = CaseBuilder(id: try await db.store.allocateCaseID(), at: t0)
        let batch = [pending(a.write(since: 1)), pending(stale.write(since: 5)), pending(fresh.write(since: 0))]
        let rows = try await db.store.pool.withConnection { connection in
            let (sql, params) = SQLStore.statement(writing: batch)
            return try connection.query(sql, params)
        }
        var written: [String: Int64] = [:]
        for row in rows { written[try row.string(0)] = try row.int(1) }
        #expect(written == [a.current.id: 2, fresh.current.id: 1])
        // And what the lanes make of that answer: the stale change conflicts, the others stand.
        let outcomes = try #require(SQLStore.outcomes(of: batch, answer: .success(rows)))
        #expect(outcomes.map { (try? $0.get()) != nil } == [true, false, true])
        #expect(outcomes[1].unavailableError == nil)
        if case .failure(let error) = outcomes[1] { #expect(error.code == .conflict) }
        #expect(try await db.store.loadCase(id: stale.current.id)?.case.version == 1)
        try await db.expectIntact()
    }

    /// Bodies and event data travel in the batch's text arrays as they are,
    /// and PostgreSQL keeps their bytes: what is stored is exactly the
    /// canonical text (a full verify hashes `data` as stored).
    @Test func bodiesAndEventDataAreStoredByteForByte() async throws {
        let db = try await TestDatabase.make(.postgres)
        defer { Task { await db.store.close() } }
        _ = try await publishSampleTemplate(db.store)
        let tricky: [String: JSONValue] = [
            "text": .string("say \"hi\" \\ tab\t é 😀 \u{1}"), "n": .int(-7), "nested": .array([.null, .bool(true)]),
        ]
        var a = try await opened(db)
        var b = try await opened(db)
        a.current.attributes["quote"] = "\"q\" \\ é"
        a.append(at: t0.adding(seconds: 1), data: tricky)
        b.append(at: t0.adding(seconds: 1), data: tricky)
        let written = try await runSharedStatement(db, [pending(a.write(since: 1)), pending(b.write(since: 1))])
        #expect(written == [a.current.id: 1, b.current.id: 1])
        for builder in [a, b] {
            let row = try db.raw("SELECT body FROM cases WHERE id = $1", [builder.current.id])
            #expect(row.first?.first == CaseCodec.bodyText(builder.current))
            let data = try db.raw("SELECT data FROM audit_events WHERE chain = $1 AND seq = 2", [builder.current.id])
            #expect(data.first?.first == jsonText(.object(tricky)))
        }
        try await db.expectIntact()
    }

    /// The batch takes its rows as binary arrays, the lone change as text and
    /// JSON: both must store the same. Two cases get the same change — on
    /// hold, final, with a deadline and an alarm, with an idempotency record —
    /// one alone, one in a batch; every column of theirs must agree.
    @Test func aBatchedChangeStoresEveryColumnAsALoneOneDoes() async throws {
        let db = try await TestDatabase.make(.postgres)
        defer { Task { await db.store.close() } }
        _ = try await publishSampleTemplate(db.store)
        var builders = [try await opened(db), try await opened(db)]
        let other = try await opened(db)
        var writes: [CaseWrite] = []
        for i in builders.indices {
            builders[i].current.state = "review"
            builders[i].current.stage = "checks"
            builders[i].current.hold = Hold(reason: "waiting for the CRO", since: t0, by: "alice")
            builders[i].current.isFinal = false
            builders[i].append(at: t0.adding(seconds: 1), data: ["n": .int(Int64.min), "s": .string("é \"q\"")])
            var write = builders[i].write(
                since: 1,
                idempotency: IdempotencyRecord(user: "alice", key: "key-\(i)", digest: "d", reply: "250 ok",
                                               expires: t0.adding(seconds: 3_600)))
            write.stored = StoredCase(case: builders[i].current, overdueAt: t0.adding(seconds: 86_400),
                                      alarmAt: t0.adding(seconds: -5))
            writes.append(write)
        }
        var next = other
        next.append(at: t0.adding(seconds: 1))
        let alone = try await runBatch(db, [pending(writes[0])])
        #expect(alone.allSatisfy { (try? $0.get()) != nil })
        let together = try await runSharedStatement(db, [pending(writes[1]), pending(next.write(since: 1))])
        #expect(together == [builders[1].current.id: 1, other.current.id: 1])

        func stored(_ id: String) throws -> [[String?]] {
            try db.raw("""
                SELECT state, stage, version::text, updated, on_hold::text, final::text, overdue_at::text,
                       alarm_at::text, template, template_version::text, opened
                FROM cases WHERE id = $1
                """, [id])
            + db.raw("SELECT seq::text, at, actor, role, action, data FROM audit_events WHERE chain = $1 AND seq = 2", [id])
            + db.raw("SELECT digest, reply, expires::text FROM idempotency WHERE key = $1", [id == builders[0].current.id ? "key-0" : "key-1"])
        }
        let first = try stored(builders[0].current.id)
        #expect(first.count == 3)
        #expect(first[0][4] == "true" && first[0][5] == "false")
        #expect(first[0][6] == String(t0.adding(seconds: 86_400).microseconds))
        #expect(try stored(builders[1].current.id) == first)
        #expect(try await db.store.loadCase(id: builders[1].current.id)?.case == builders[1].current)
        try await db.expectIntact()
    }

    /// Every change fills each of the batch's arrays with exactly its share:
    /// one element per column for its case row and record, one per column
    /// and event for its events. (A column left out would shift all that
    /// follow; the server would then refuse every batch, and each change
    /// would be committed alone — slower, and silent.)
    @Test func eachChangeGivesEveryArrayItsElements() {
        var builder = CaseBuilder(id: "C-000007", at: t0)
        builder.append(at: t0.adding(seconds: 1))
        builder.append(at: t0.adding(seconds: 2))
        let record = IdempotencyRecord(user: "alice", key: "k", digest: "d", reply: "250 ok", expires: t0)
        var arrays = SQLStore.BatchArrays()
        arrays.append(pending(builder.write(since: 1, idempotency: record)))
        arrays.append(pending(builder.write(since: 2)))
        let counts = arrays.parameters.map { value -> Int in
            if case .array(let array) = value { return array.count }
            return -1
        }
        #expect(counts == Array(repeating: 2, count: 17) + Array(repeating: 3, count: 9) + Array(repeating: 1, count: 6))
        let types = arrays.parameters.compactMap { value -> PostgresArray.ElementType? in
            if case .array(let array) = value { return array.elementType }
            return nil
        }
        #expect(types == SQLStore.BatchArrays.caseColumns + SQLStore.BatchArrays.eventColumns
            + SQLStore.BatchArrays.rememberedColumns)
    }

    /// A change left unencoded (for a lane that encodes it itself), or
    /// encoded for a batch only, makes the very statements of one encoded
    /// up front in both forms, alone and in a batch.
    @Test(arguments: [SQLStore.PendingCommit.Encoding.batchOnly, .none])
    func aChangeEncodedLateMakesTheSameStatements(_ encoding: SQLStore.PendingCommit.Encoding) {
        var builder = CaseBuilder(id: "C-000009", at: t0)
        builder.append(at: t0.adding(seconds: 1), data: ["s": .string("é \"q\"")])
        let record = IdempotencyRecord(user: "alice", key: "k", digest: "d", reply: "250 ok", expires: t0)
        let write = builder.write(since: 1, idempotency: record)
        var other = CaseBuilder(id: "C-000010", at: t0)
        other.append(at: t0.adding(seconds: 2))
        let number = SQLStore.caseNumber(write.stored.case.id)!
        let early = SQLStore.PendingCommit(write: write, number: number, encoding: .both)
        let late = SQLStore.PendingCommit(write: write, number: number, encoding: encoding)
        #expect(early.encodedUpFront == (single: true, batch: true))
        #expect(late.encodedUpFront == (single: false, batch: encoding == .batchOnly))
        let single = SQLStore.statement(writing: [early])
        #expect(single.sql == SQLStore.singleUpdateStatement)
        #expect(SQLStore.statement(writing: [late]) == single)
        let batch = SQLStore.statement(writing: [early, pending(other.write(since: 1))])
        #expect(batch.sql == SQLStore.batchStatement)
        #expect(SQLStore.statement(writing: [late, pending(other.write(since: 1))]) == batch)
    }

    /// Array parameters are PostgreSQL's only; SQLite says so instead of
    /// binding something else.
    @Test func sqliteRefusesArrayParameters() async throws {
        let db = try await TestDatabase.make(.sqlite)
        defer { Task { await db.store.close() } }
        var array = PostgresArray(of: .text)
        array.append("C-000001")
        let ids = array
        let error = await #expect(throws: StoreError.self) {
            try await db.store.pool.withConnection { connection in try connection.query("SELECT ?", [.array(ids)]) }
        }
        #expect(error?.message.contains("array") == true)
    }

    /// Two changes to one case in one batch: the first wins, the second was
    /// decided on the same version and conflicts.
    @Test func twoChangesToOneCaseInOneBatchCannotBothWin() async throws {
        let db = try await TestDatabase.make(.postgres)
        defer { Task { await db.store.close() } }
        _ = try await publishSampleTemplate(db.store)
        let base = try await opened(db)
        var first = base, second = base
        first.append(at: t0.adding(seconds: 1), data: ["text": "first"])
        second.append(at: t0.adding(seconds: 1), data: ["text": "second"])
        let other = try await opened(db)
        var third = other
        third.append(at: t0.adding(seconds: 1))
        let outcomes = try await runBatch(db, [
            pending(first.write(since: 1)), pending(second.write(since: 1)), pending(third.write(since: 1)),
        ])
        #expect((try? outcomes[0].get()) != nil)
        if case .failure(let error) = outcomes[1] { #expect(error.code == .conflict) } else { Issue.record("second won too") }
        #expect((try? outcomes[2].get()) != nil)
        let trail = try await db.store.trail(chain: base.current.id, from: 1, limit: 10)
        #expect(trail.map(\.hash) == first.events.map(\.hash))
    }

    /// An idempotency key already stored aborts the shared statement; the
    /// batch is then committed change by change, and only the clashing one fails.
    @Test func aClashingIdempotencyKeyFailsOnlyItsOwnChange() async throws {
        let db = try await TestDatabase.make(.postgres)
        defer { Task { await db.store.close() } }
        _ = try await publishSampleTemplate(db.store)
        let record = { (key: String) in
            IdempotencyRecord(user: "alice", key: key, digest: "d", reply: "250 ok", expires: t0.adding(seconds: 3_600))
        }
        var used = try await opened(db)
        used.append(at: t0.adding(seconds: 1))
        try await db.store.commit(used.write(since: 1, idempotency: record("k1")))
        var a = try await opened(db)
        var b = try await opened(db)
        a.append(at: t0.adding(seconds: 1))
        b.append(at: t0.adding(seconds: 1))
        let outcomes = try await runBatch(db, [
            pending(a.write(since: 1, idempotency: record("k1"))), pending(b.write(since: 1, idempotency: record("k2"))),
        ])
        if case .failure(let error) = outcomes[0] { #expect(error.code == .conflict) } else { Issue.record("k1 reused") }
        #expect((try? outcomes[1].get()) != nil)
        #expect(try await db.store.loadCase(id: a.current.id)?.case.version == 1)
        #expect(try await db.store.loadCase(id: b.current.id)?.case.version == 2)
        #expect(try await db.store.idempotency(user: "alice", key: "k2", now: t0) != nil)
        try await db.expectIntact()
    }

    /// Many writers on their own cases through the store: batches form by
    /// themselves, and every change lands exactly once.
    @Test func concurrentWritersThroughTheStoreShareBatches() async throws {
        let db = try await TestDatabase.make(.postgres, poolSize: 2)
        defer { Task { await db.store.close() } }
        _ = try await publishSampleTemplate(db.store)
        let writers = 24, changesEach = 15
        var cases: [CaseBuilder] = []
        for _ in 0..<writers { cases.append(try await opened(db)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for start in cases {
                group.addTask {
                    var builder = start
                    for n in 1...changesEach {
                        builder.append(at: t0.adding(seconds: Int64(n)))
                        try await db.store.commit(builder.write(since: builder.current.version - 1))
                    }
                }
            }
            try await group.waitForAll()
        }
        let statistics = try #require(db.store.groupCommit).statistics
        #expect(statistics.items == Int64(writers * (changesEach + 1)))
        #expect(statistics.largest > 1)
        for builder in cases {
            #expect(try await db.store.loadCase(id: builder.current.id)?.case.version == Int64(1 + changesEach))
        }
        let report = try await db.store.verify(chain: nil)
        #expect(report.isIntact && report.events == Int64(writers * (changesEach + 1) + 1), "\(report)")
    }
}
