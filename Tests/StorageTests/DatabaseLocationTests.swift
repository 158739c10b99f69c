import Testing
@testable import Storage

@Suite("--database values")
struct DatabaseLocationTests {
    @Test func acceptedForms() throws {
        #expect(try DatabaseLocation(parsing: "sqlite:/var/lib/atmp/atmp.db") == .sqlite(path: "/var/lib/atmp/atmp.db"))
        #expect(try DatabaseLocation(parsing: "sqlite:data/atmp.db") == .sqlite(path: "data/atmp.db"))
        #expect(try DatabaseLocation(parsing: "sqlite:///tmp/x.db") == .sqlite(path: "/tmp/x.db"))
        #expect(try DatabaseLocation(parsing: "postgresql://atmp@db.example/atmp?sslmode=require")
            == .postgres(connectionString: "postgresql://atmp@db.example/atmp?sslmode=require"))
        #expect(try DatabaseLocation(parsing: "postgres://localhost/atmp") == .postgres(connectionString: "postgres://localhost/atmp"))
        #expect(try DatabaseLocation(parsing: "host=/run/postgresql dbname=atmp")
            == .postgres(connectionString: "host=/run/postgresql dbname=atmp"))
    }

    @Test(arguments: ["", "sqlite:", "mysql://x", "/var/lib/atmp.db", "=x"])
    func rejectedForms(_ text: String) {
        #expect(throws: StoreError.self) { try DatabaseLocation(parsing: text) }
    }

    @Test func passwordsNeverReachLogs() {
        #expect(DatabaseLocation.postgres(connectionString: "postgresql://u:hunter2@h/db").description.contains("hunter2") == false)
        #expect(DatabaseLocation.postgres(connectionString: "host=h password=hunter2 dbname=d").description.contains("hunter2") == false)
    }
}
