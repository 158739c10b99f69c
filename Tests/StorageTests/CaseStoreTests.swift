import AuditLog
import CaseEngine
import Testing
@testable import Storage

@Suite("Cases in the store")
struct CaseStoreTests {
    let t0 = Timestamp(seconds: 1_800_000_000)

    @Test(arguments: Backend.allCases)
    func openAdvanceAndReadBack(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)
        defer { Task { await db.store.close() } }
        _ = try await publishSampleTemplate(db.store)
        let id = try await db.store.allocateCaseID()
        #expect(id == "C-000001")
        #expect(try await db.store.allocateCaseID() == "C-000002")

        var builder = CaseBuilder(id: id, at: t0)
        builder.current.documents["protocol"] = AttachedDocument(
            kind: "protocol", sha256: String(repeating: "e", count: 64), uri: "dms://1", title: nil, at: t0, seq: 1, by: "alice")
        builder.current.clocks["maa"] = ClockState(name: "maa", status: .running, accumulated: 5, runningSince: t0)
        builder.current.overdueRaised = [.clock("maa"), .deadline(state: "draft", enteredSeq: 1)]
        builder.current.hold = Hold(reason: "waiting", since: t0, by: "alice")
        try await db.store.commit(builder.write(since: 0))
        #expect(try await db.store.loadCase(id: id)?.case == builder.current)

        builder.append(at: t0.adding(seconds: 1))
        builder.append(at: t0.adding(seconds: 2))
        try await db.store.commit(builder.write(since: 1))
        let loaded = try #require(try await db.store.loadCase(id: id))
        #expect(loaded.case.version == 3 && loaded.case.head == builder.events[2].hash)
        #expect(try await db.store.trail(chain: id, from: 1, limit: 10) == builder.events)
        #expect(try await db.store.trail(chain: id, from: 2, limit: 1) == [builder.events[1]])
        #expect(try await db.store.chainHead(id)?.seq == 3)
        #expect(try await db.store.loadCase(id: "C-999999") == nil)
        #expect(try await db.store.verify(chain: id).isIntact)
    }

    @Test(arguments: Backend.allCases)
    func staleVersionIsAConflictAndWritesNothing(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)
        defer { Task { await db.store.close() } }
        _ = try await publishSampleTemplate(db.store)
        var builder = CaseBuilder(id: try await db.store.allocateCaseID(), at: t0)
        try await db.store.commit(builder.write(since: 0))
        var rival = builder
        builder.append(at: t0.adding(seconds: 1))
        try await db.store.commit(builder.write(since: 1))

        rival.append(at: t0.adding(seconds: 2), data: ["text": "lost update"])
        await #expect {
            try await db.store.commit(rival.write(since: 1))
        } throws: { ($0 as? StoreError)?.code == .conflict }
        // Opening an existing id again is a conflict too.
        await #expect {
            try await db.store.commit(CaseBuilder(id: builder.current.id, at: t0).write(since: 0))
        } throws: { ($0 as? StoreError)?.code == .conflict }

        #expect(try db.count("audit_events") == 3)  // 1 template.published + 2 case events
        #expect(try await db.store.loadCase(id: builder.current.id)?.case == builder.current)
        #expect(try await db.store.verify(chain: nil).isIntact)
    }

    @Test(arguments: Backend.allCases)
    func listingFiltersAndPages(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)
        defer { Task { await db.store.close() } }
        _ = try await publishSampleTemplate(db.store)
        for i in 0..<7 {
            var builder = CaseBuilder(id: try await db.store.allocateCaseID(), at: t0)
            builder.current.state = i % 2 == 0 ? "draft" : "done"
            builder.current.stage = "work"
            if i == 3 { builder.current.hold = Hold(reason: "r", since: t0, by: "alice") }
            let overdueAt: Timestamp? = i == 5 ? t0.adding(seconds: 10) : (i == 6 ? t0.adding(seconds: 1_000) : nil)
            try await db.store.commit(CaseWrite(
                stored: StoredCase(case: builder.current, overdueAt: overdueAt, alarmAt: overdueAt),
                expectedVersion: 0, events: builder.events))
        }
        let now = t0.adding(seconds: 100)
        func ids(_ q: CaseQuery) async throws -> [String] { try await db.store.listCases(q).map(\.summary.id) }
        #expect(try await ids(CaseQuery(now: now)).count == 7)
        #expect(try await ids(CaseQuery(state: "draft", now: now)) == ["C-000001", "C-000003", "C-000005", "C-000007"])
        #expect(try await ids(CaseQuery(hold: true, now: now)) == ["C-000004"])
        #expect(try await ids(CaseQuery(overdue: true, now: now)) == ["C-000006"])
        #expect(try await ids(CaseQuery(overdue: false, now: now)).count == 6)
        #expect(try await ids(CaseQuery(template: "other", now: now)).isEmpty)
        #expect(try await ids(CaseQuery(limit: 2, now: now)) == ["C-000001", "C-000002"])
        #expect(try await ids(CaseQuery(after: "C-000002", limit: 2, now: now)) == ["C-000003", "C-000004"])
        #expect(try await db.store.casesDue(at: now, limit: 10).map(\.case.id) == ["C-000006"])
        #expect(try await db.store.casesDue(at: t0.adding(seconds: 5_000), limit: 10).map(\.case.id) == ["C-000006", "C-000007"])
        await #expect(throws: StoreError.self) { _ = try await ids(CaseQuery(after: "x' OR 1=1 --", now: now)) }
    }

    @Test(arguments: Backend.allCases)
    func idempotencyRecordsCommitWithTheChange(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)
        defer { Task { await db.store.close() } }
        _ = try await publishSampleTemplate(db.store)
        var builder = CaseBuilder(id: try await db.store.allocateCaseID(), at: t0)
        let record = IdempotencyRecord(user: "alice", key: "k1", digest: "d1", reply: "250 OK", expires: t0.adding(seconds: 86_400))
        try await db.store.commit(builder.write(since: 0, idempotency: record))
        #expect(try await db.store.idempotency(user: "alice", key: "k1", now: t0) == record)
        #expect(try await db.store.idempotency(user: "bob", key: "k1", now: t0) == nil)

        // The same key again in another change: refused as a conflict, nothing written.
        builder.append(at: t0.adding(seconds: 1))
        await #expect {
            try await db.store.commit(builder.write(since: 1, idempotency: record))
        } throws: { ($0 as? StoreError)?.code == .conflict }
        #expect(try await db.store.loadCase(id: builder.current.id)?.case.version == 1)

        // Expired keys are forgotten and can be used again.
        #expect(try await db.store.idempotency(user: "alice", key: "k1", now: t0.adding(seconds: 90_000)) == nil)
        try await db.store.commit(builder.write(since: 1, idempotency: record))
        #expect(try await db.store.loadCase(id: builder.current.id)?.case.version == 2)
    }
}
