import AuditLog
import Foundation
import PostgresClient
import PostgresTestSupport
import Testing
@testable import Storage

/// Deploy/postgres-roles.sql, applied for real: the application role cannot
/// rewrite audit rows even where the triggers are out of the way, and the
/// regulator role can only read.
@Suite("PostgreSQL roles script")
struct PostgresRolesTests {
    static var script: String {
        get throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            return try String(contentsOf: root.appendingPathComponent("Deploy/postgres-roles.sql"), encoding: .utf8)
        }
    }

    @Test func ownerMigratesAppWritesRegulatorReads() async throws {
        let admin = try PostgresTestCluster.shared.createDatabase(prefix: "atmp_roles")
        let superuser = try PostgresConnection(admin)
        try superuser.executeScript(try Self.script)

        // Migrations as the owner, then the script again for the new tables.
        let owner = try await PostgresStore.open(connectionString: admin + " user=atmp_owner", poolSize: 1)
        #expect(try await owner.migrate().map(\.version) == [1, 2])
        await owner.close()
        try superuser.executeScript(try Self.script)

        // The daemon's role does its work…
        let app = try await PostgresStore.open(connectionString: admin + " user=atmp_app", poolSize: 2)
        #expect(try await app.migrate().isEmpty)  // a current schema needs no CREATE rights
        _ = try await publishSampleTemplate(app)
        var builder = CaseBuilder(id: try await app.allocateCaseID(), at: Timestamp(seconds: 1_800_000_000))
        try await app.commit(builder.write(since: 0))
        builder.append(at: Timestamp(seconds: 1_800_000_001))
        try await app.commit(builder.write(since: 1))
        await app.close()

        // …but cannot rewrite history, even with the triggers disabled.
        try superuser.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
        let appConnection = try PostgresConnection(admin + " user=atmp_app")
        for statement in ["UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events", "TRUNCATE audit_events"] {
            #expect(throws: PostgresError.self, "\(statement)") { try appConnection.execute(statement) }
        }
        #expect(throws: PostgresError.self) { try appConnection.execute("ALTER TABLE audit_events DISABLE TRIGGER USER") }
        try superuser.execute("ALTER TABLE audit_events ENABLE TRIGGER USER")

        // The regulator reads the trail, typed, and changes nothing.
        let regulator = try PostgresConnection(admin + " user=atmp_regulator")
        let rows = try regulator.execute(
            "SELECT seq, data->>'text' FROM audit_trail WHERE chain = $1 ORDER BY seq", [.text(builder.current.id)])
        #expect(rows.rows.count == 2)
        #expect(try rows.rows[1].text(1) == "note")
        for statement in ["INSERT INTO users (name, roles, password_hash) VALUES ('x', '', '')",
                          "UPDATE cases SET title = 'x'", "DELETE FROM templates"] {
            #expect(throws: PostgresError.self, "\(statement)") { try regulator.execute(statement) }
        }
        let count = try superuser.execute("SELECT count(*) FROM audit_events").rows[0].text(0)
        #expect(count == "3")
    }
}

/// The server goes away under the store and comes back: in-flight work
/// fails as `.unavailable` with nothing half-written, and the same store
/// object recovers by itself — no restart of the process.
@Suite("PostgreSQL restart")
struct PostgresRestartTests {
    @Test func storeRecoversWithoutRestartingTheProcess() async throws {
        let cluster = PostgresTestCluster(useEnvironmentDatabase: false)
        defer { cluster.stop() }
        let db = try await TestDatabase.make(.postgres, poolSize: 2, cluster: cluster)
        _ = try await publishSampleTemplate(db.store)
        var builder = CaseBuilder(id: try await db.store.allocateCaseID(), at: Timestamp(seconds: 1_800_000_000))
        try await db.store.commit(builder.write(since: 0))

        // A statement in flight when the server stops.
        let inFlight = Task {
            try await db.store.pool.withConnection { connection in
                _ = try connection.query("SELECT pg_sleep(30)", [])
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        try cluster.restart()
        await #expect {
            try await inFlight.value
        } throws: { ($0 as? StoreError)?.code == .unavailable }

        // Work resumes on the same store object within seconds; meanwhile
        // every failure is a clean `.unavailable`.
        builder.append(at: Timestamp(seconds: 1_800_000_001))
        let deadline = ContinuousClock.now + .seconds(15)
        var committed = false
        while !committed, ContinuousClock.now < deadline {
            do {
                try await db.store.commit(builder.write(since: 1))
                committed = true
            } catch {
                #expect(error.code == .unavailable, "\(error)")
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(committed)
        #expect(try await db.store.loadCase(id: builder.current.id)?.case.version == 2)
        #expect(try await db.store.verify(chain: nil).isIntact)
        await db.store.close()
    }
}
