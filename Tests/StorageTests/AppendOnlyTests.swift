import AuditLog
import Testing
@testable import Storage

@Suite("Append-only audit rows and atomic changes")
struct AppendOnlyTests {
    let t0 = Timestamp(seconds: 1_800_000_000)

    @Test(arguments: Backend.allCases)
    func updatesAndDeletesOfAuditRowsAreRefused(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)
        defer { Task { await db.store.close() } }
        _ = try await publishSampleTemplate(db.store)
        #expect(try db.count("audit_events") == 1)
        #expect(throws: (any Error).self) { try db.raw("UPDATE audit_events SET actor = 'mallory'") }
        #expect(throws: (any Error).self) { try db.raw("DELETE FROM audit_events") }
        if backend == .postgres {
            #expect(throws: (any Error).self) { try db.raw("TRUNCATE audit_events") }
        }
        #expect(try db.count("audit_events") == 1)
        #expect(try db.raw("SELECT actor FROM audit_events")[0][0] == "admin")
    }

    /// A failure after the events are written and before the projection is
    /// (here: a trigger on the cases table, as a crash or a bug would) leaves
    /// neither behind.
    @Test(arguments: Backend.allCases)
    func failureBetweenEventsAndProjectionLeavesNothing(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)
        defer { Task { await db.store.close() } }
        _ = try await publishSampleTemplate(db.store)
        var builder = CaseBuilder(id: try await db.store.allocateCaseID(), at: t0)
        try await db.store.commit(builder.write(since: 0))
        let eventsBefore = try db.count("audit_events")

        switch backend {
        case .sqlite:
            try db.raw("""
                CREATE TRIGGER inject_failure BEFORE UPDATE ON cases
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
        case .postgres:
            try db.raw("""
                CREATE FUNCTION inject_failure() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'injected failure'; END $$
                """)
            try db.raw("CREATE TRIGGER inject_failure BEFORE UPDATE ON cases FOR EACH ROW EXECUTE FUNCTION inject_failure()")
        }
        builder.append(at: t0.adding(seconds: 1))
        builder.append(at: t0.adding(seconds: 2))
        await #expect(throws: StoreError.self) { try await db.store.commit(builder.write(since: 1)) }
        #expect(try db.count("audit_events") == eventsBefore)
        #expect(try await db.store.loadCase(id: builder.current.id)?.case.version == 1)

        // Once the fault is gone the same change goes through.
        try db.raw(backend == .sqlite ? "DROP TRIGGER inject_failure" : "DROP TRIGGER inject_failure ON cases")
        try await db.store.commit(builder.write(since: 1))
        #expect(try db.count("audit_events") == eventsBefore + 2)
        #expect(try await db.store.verify(chain: nil).isIntact)
    }
}
