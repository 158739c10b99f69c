import Foundation
import Testing
@testable import SQLiteClient

/// A fresh database file in its own temporary directory (WAL needs a file).
private func temporaryDatabasePath() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("atmp-sqlite-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent("test.sqlite").path
}

@Suite struct SQLiteClientTests {
    @Test func connectionSettingsAreInEffect() throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath(), busyTimeoutMilliseconds: 1234)
        #expect(try db.execute("PRAGMA journal_mode").first?.string(0) == "wal")
        #expect(try db.execute("PRAGMA synchronous").first?.int64(0) == 2)  // 2 = FULL
        #expect(try db.execute("PRAGMA foreign_keys").first?.int64(0) == 1)
        #expect(try db.execute("PRAGMA busy_timeout").first?.int64(0) == 1234)
    }

    @Test func defaultBusyTimeoutIsFiveSeconds() throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        #expect(try db.execute("PRAGMA busy_timeout").first?.int64(0) == 5000)
    }

    @Test(arguments: [
        "plain",
        "it's quoted",
        "semi;colon",
        "'; DROP TABLE notes; --",
        "\" OR 1=1 --",
        "Zelltherapie – Ärztin 細胞 🧬",
        "",
        "embedded\u{0}nul",
    ])
    func textParametersRoundTripUnchanged(text: String) throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        try db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        try db.execute("INSERT INTO notes (body) VALUES (?)", [.text(text)])
        let rows = try db.execute("SELECT body FROM notes WHERE body = ?", [.text(text)]).rows
        #expect(rows.count == 1)
        #expect(try rows.first?.string("body") == text)
        // The table survived whatever the text said.
        #expect(try db.execute("SELECT count(*) AS n FROM notes").first?.int64("n") == 1)
    }

    @Test func valuesOfEveryStorageClassRoundTrip() throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, flag INTEGER, missing TEXT)")
        let blob: [UInt8] = [0, 1, 0xFF, 0x27, 0x3B, 0]
        try db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
                       [.integer(Int64.min), .real(2.5), "x", .blob(blob), .bool(true), nil])
        #expect(db.changes == 1)
        #expect(db.lastInsertRowID == 1)
        let row = try #require(try db.execute("SELECT * FROM t").first)
        #expect(try row.int64("i") == Int64.min)
        #expect(try row.double("r") == 2.5)
        #expect(try row.string(2) == "x")
        #expect(try row.bytes("b") == blob)
        #expect(try row.bool("flag") == true)
        #expect(try row.isNull("missing"))
        #expect(try !row.isNull("s"))
    }

    @Test func emptyBlobIsNotNull() throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        let row = try #require(try db.execute("SELECT ? AS b", [.blob([])]).first)
        #expect(try row.bytes("b") == [])
    }

    @Test func decodingErrorsNameTheProblem() throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        let row = try #require(try db.execute("SELECT 'text' AS s, NULL AS n, 7 AS i").first)
        #expect(throws: SQLiteError.self) { try row.int64("s") }
        #expect(throws: SQLiteError.self) { try row.string("n") }
        #expect(throws: SQLiteError.self) { try row.bool("i") }
        #expect(throws: SQLiteError.self) { try row.string("absent") }
        #expect(throws: SQLiteError.self) { try row.string(3) }
        do {
            _ = try row.string("n")
        } catch {
            #expect(error.category == .decoding)
        }
    }

    @Test func wrongParameterCountIsRejected() throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        #expect { try db.execute("SELECT ?, ?", [1]) } throws: { ($0 as? SQLiteError)?.category == .other }
    }

    @Test func severalStatementsInExecuteAreRefused() throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        try db.execute("CREATE TABLE t (x)")
        #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO t VALUES (1); DROP TABLE t") }
        // Nothing ran: the table is there and empty.
        #expect(try db.execute("SELECT count(*) FROM t").first?.int64(0) == 0)
        // A script may hold several.
        try db.executeScript("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);")
        #expect(try db.execute("SELECT count(*) FROM t").first?.int64(0) == 2)
    }

    @Test func statementsAreCachedAndReusable() throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        try db.execute("CREATE TABLE t (x INTEGER)")
        for value in 1...5 {
            try db.execute("INSERT INTO t VALUES (?)", [.integer(Int64(value))])
        }
        #expect(try db.execute("SELECT sum(x) FROM t").first?.int64(0) == 15)
        // A failed step must not leave the cached statement unusable.
        try db.execute("CREATE UNIQUE INDEX tx ON t (x)")
        #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO t VALUES (?)", [1]) }
        try db.execute("INSERT INTO t VALUES (?)", [6])
        #expect(try db.execute("SELECT count(*) FROM t").first?.int64(0) == 6)
    }

    @Test func syntaxErrorsAreCategorized() throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        #expect { try db.execute("SELEC 1") } throws: { ($0 as? SQLiteError)?.category == .syntax }
        #expect { try db.execute("SELECT * FROM no_such_table") } throws: { ($0 as? SQLiteError)?.category == .syntax }
    }

    @Test func constraintViolationsAreCategorized() throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        try db.executeScript("""
            CREATE TABLE parent (id INTEGER PRIMARY KEY);
            CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES parent(id), code TEXT UNIQUE);
            """)
        try db.execute("INSERT INTO parent VALUES (1)")
        try db.execute("INSERT INTO child VALUES (1, 1, 'a')")

        func failure(_ sql: String, _ params: [SQLiteValue?]) -> SQLiteError? {
            do { try db.execute(sql, params); return nil } catch { return error }
        }
        let unique = try #require(failure("INSERT INTO child VALUES (2, 1, ?)", ["a"]))
        #expect(unique.category == .constraint)
        #expect(unique.code == 2067)  // SQLITE_CONSTRAINT_UNIQUE: extended codes are on
        let foreignKey = try #require(failure("INSERT INTO child VALUES (3, ?, 'b')", [99]))
        #expect(foreignKey.category == .constraint)
        #expect(foreignKey.code == 787)  // SQLITE_CONSTRAINT_FOREIGNKEY: foreign_keys=ON works
        let notNull = try #require(failure("INSERT INTO child VALUES (4, ?, 'c')", [nil]))
        #expect(notNull.category == .constraint)
    }

    @Test func triggerRaiseIsAConstraintError() throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        try db.executeScript("""
            CREATE TABLE audit (seq INTEGER PRIMARY KEY, body TEXT);
            CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
            """)
        try db.execute("INSERT INTO audit (body) VALUES (?)", ["created"])
        do {
            try db.execute("UPDATE audit SET body = ?", ["forged"])
            Issue.record("the trigger did not fire")
        } catch {
            #expect(error.category == .constraint)
            #expect(error.code == 1811)  // SQLITE_CONSTRAINT_TRIGGER
            #expect(error.message.contains("append-only"))
        }
        #expect(try db.execute("SELECT body FROM audit").first?.string(0) == "created")
    }

    @Test func transactionCommitsOnSuccess() throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        try db.execute("CREATE TABLE t (x INTEGER)")
        let result = try db.transaction { db in
            try db.execute("INSERT INTO t VALUES (1)")
            #expect(db.isInTransaction)
            return "done"
        }
        #expect(result == "done")
        #expect(!db.isInTransaction)
        #expect(try db.execute("SELECT count(*) FROM t").first?.int64(0) == 1)
    }

    @Test func transactionRollsBackWhenBodyThrows() throws {
        struct Abandon: Error {}
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        try db.execute("CREATE TABLE t (x INTEGER UNIQUE)")
        #expect(throws: Abandon.self) {
            try db.transaction { db in
                try db.execute("INSERT INTO t VALUES (1)")
                throw Abandon()
            }
        }
        #expect { try db.transaction { db in
            try db.execute("INSERT INTO t VALUES (2)")
            try db.execute("INSERT INTO t VALUES (2)")  // unique violation
        } } throws: { ($0 as? SQLiteError)?.category == .constraint }
        #expect(!db.isInTransaction)
        #expect(try db.execute("SELECT count(*) FROM t").first?.int64(0) == 0)
    }

    @Test func transactionsDoNotNest() throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        #expect(throws: SQLiteError.self) {
            try db.transaction { db in try db.transaction { _ in } }
        }
        #expect(!db.isInTransaction)
    }

    @Test func secondWriterGetsConflictAfterBusyTimeout() throws {
        let path = try temporaryDatabasePath()
        let first = try SQLiteConnection(path: path, busyTimeoutMilliseconds: 20)
        let second = try SQLiteConnection(path: path, busyTimeoutMilliseconds: 20)
        try first.execute("CREATE TABLE t (x INTEGER)")
        try first.transaction { first in
            try first.execute("INSERT INTO t VALUES (1)")
            do {
                try second.transaction { _ in Issue.record("BEGIN IMMEDIATE should not get the write lock") }
                Issue.record("no error while another connection holds the write lock")
            } catch let error as SQLiteError {
                #expect(error.category == .conflict)
                #expect(error.primaryCode == 5)  // SQLITE_BUSY
            }
            #expect(!second.isInTransaction)
        }
        // Once the first commits, the second can write, and sees the row.
        try second.transaction { second in try second.execute("INSERT INTO t VALUES (2)") }
        #expect(try second.execute("SELECT count(*) FROM t").first?.int64(0) == 2)
    }

    @Test func unopenablePathIsUnavailable() throws {
        #expect {
            _ = try SQLiteConnection(path: "/nonexistent-dir-\(UUID().uuidString)/db.sqlite")
        } throws: { ($0 as? SQLiteError)?.category == .unavailable }
    }

    @Test func closedConnectionRefusesWork() throws {
        let db = try SQLiteConnection(path: temporaryDatabasePath())
        db.close()
        #expect(throws: SQLiteError.self) { try db.execute("SELECT 1") }
        db.close()  // twice is harmless
    }

    @Test(arguments: [
        (Int32(5), SQLiteError.Category.conflict), (517, .conflict) /* BUSY_SNAPSHOT */, (6, .conflict),
        (19, .constraint), (1811, .constraint), (1555, .constraint) /* PRIMARYKEY */,
        (14, .unavailable), (10, .unavailable), (13, .unavailable), (266, .unavailable) /* IOERR_READ */,
        (1, .syntax), (21, .other) /* MISUSE */,
    ])
    func resultCodesMapToCategories(code: Int32, category: SQLiteError.Category) {
        #expect(SQLiteError.category(forResultCode: code) == category)
    }
}
