import Testing
@testable import Storage

@Suite("Migrations")
struct MigrationTests {
    @Test(arguments: Backend.allCases)
    func secondRunIsANoOp(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)  // migrates once
        let again = try await db.store.migrate()
        #expect(again.isEmpty)
        #expect(try await db.store.appliedMigrations() == [1, 2])
        #expect(try db.count("schema_migrations") == 2)
        await db.store.close()
    }

    @Test(arguments: Backend.allCases)
    func concurrentMigratorsApplyOnce(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)
        let other = try await SQLStore.open(db.location, logger: .init(label: "test"))
        async let a = db.store.migrate()
        async let b = other.migrate()
        let (first, second) = try await (a, b)
        #expect(first.isEmpty && second.isEmpty)
        #expect(try db.count("schema_migrations") == 2)
        await other.close()
        await db.store.close()
    }
}
