import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

/// A connection to a fresh database on the shared throwaway server. If the
/// server programs are missing this throws, and the test fails with the
/// install hint.
private func freshConnection(_ prefix: String = "pgclient") throws -> PostgresConnection {
    try PostgresConnection(PostgresTestCluster.shared.createDatabase(prefix: prefix))
}

/// The error a throwing call ends with, or nil when it succeeds.
private func failure<T>(_ body: () throws -> T) -> PostgresError? {
    do {
        _ = try body()
        return nil
    } catch let error as PostgresError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

@Suite struct PostgresClientTests {
    @Test(arguments: [
        "plain",
        "it's quoted",
        "semi;colon",
        "'; DROP TABLE notes; --",
        "$1 \\x00 E'\\n'",
        "Zelltherapie – Ärztin 細胞 🧬",
        "",
    ])
    func textParametersRoundTripUnchanged(text: String) throws {
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text)")
        let insert = try conn.execute("INSERT INTO notes (body) VALUES ($1)", [.text(text)])
        #expect(insert.rowsAffected == 1)
        let rows = try conn.execute("SELECT body FROM notes WHERE body = $1", [.text(text)]).rows
        #expect(rows.count == 1)
        #expect(try rows.first?.string("body") == text)
        #expect(try conn.execute("SELECT count(*) AS n FROM notes").first?.int64("n") == 1)
    }

    @Test func typedValuesAndNullsRoundTrip() throws {
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE t (i bigint, d double precision, flag boolean, data bytea, missing text)")
        let binary: [UInt8] = Array(0...255) + [0x27, 0x3B, 0x5C]
        try conn.execute("INSERT INTO t VALUES ($1, $2, $3, $4, $5)",
                         [.int(Int64.min), .double(-0.125), .bool(true), .bytes(binary), nil])
        try conn.execute("INSERT INTO t VALUES ($1, $2, $3, $4, $5)", [.int(Int64.max), nil, false, .bytes([]), "x"])
        let rows = try conn.execute("SELECT * FROM t ORDER BY i").rows
        #expect(rows.count == 2)
        #expect(try rows[0].int64("i") == Int64.min)
        #expect(try rows[0].double("d") == -0.125)
        #expect(try rows[0].bool("flag") == true)
        #expect(try rows[0].bytes("data") == binary)
        #expect(try rows[0].isNull("missing"))
        #expect(try rows[1].int64(0) == Int64.max)
        #expect(try rows[1].isNull("d"))
        #expect(try rows[1].bool("flag") == false)
        #expect(try rows[1].bytes("data") == [])
        #expect(try rows[1].string("missing") == "x")
    }

    @Test func decodingErrors() throws {
        let conn = try freshConnection()
        let row = try #require(try conn.execute("SELECT 'abc'::text AS s, NULL::int AS n, 'xyz'::text AS b").first)
        #expect(failure { try row.int64("s") }?.category == .decoding)
        #expect(failure { try row.string("n") }?.category == .decoding)
        #expect(failure { try row.bytes("b") }?.category == .decoding)
        #expect(failure { try row.bool("s") }?.category == .decoding)
        #expect(failure { try row.string("absent") }?.category == .decoding)
        #expect(failure { try row.string(7) }?.category == .decoding)
    }

    @Test func nulInTextParameterIsRefusedNotTruncated() throws {
        let conn = try freshConnection()
        let error = failure { try conn.execute("SELECT $1::text", ["before\u{0}after"]) }
        #expect(error != nil)
        #expect(error?.message.contains("NUL") == true)
        // Wherever the NUL sits, in a short (inline) or a long string, and
        // the message names the parameter.
        let long = String(repeating: "x", count: 5000)
        for text in ["\u{0}", "\u{0}" + long, long + "\u{0}", long + "\u{0}" + long, "ab\u{0}"] {
            let error = failure { try conn.execute("SELECT $1::text, $2::text", [.text("fine"), .text(text)]) }
            #expect(error?.message.contains("parameter $2 contains a NUL") == true, "\(text.utf8.count) bytes")
        }
        // And a long string without one goes through whole.
        let row = try #require(try conn.execute("SELECT length($1::text) AS n", [.text(long + "é")]).first)
        #expect(try row.int64("n") == 5001)
    }

    @Test func preparedStatements() throws {
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE t (k text PRIMARY KEY, v bigint)")
        try conn.prepare(name: "put", sql: "INSERT INTO t VALUES ($1, $2)")
        try conn.prepare(name: "get", sql: "SELECT v FROM t WHERE k = $1")
        for (key, value) in [("a", 1), ("b'; --", 2)] {
            try conn.executePrepared(name: "put", params: [.text(key), .int(Int64(value))])
        }
        #expect(try conn.executePrepared(name: "get", params: ["b'; --"]).first?.int64("v") == 2)
        #expect(try conn.executePrepared(name: "get", params: ["zzz"]).rows.isEmpty)
        #expect(failure { try conn.executePrepared(name: "absent", params: []) } != nil)
        #expect(failure { try conn.prepare(name: "broken", sql: "SELEC 1") }?.category == .syntax)
    }

    @Test func uniqueViolationIsAConflict() throws {
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE t (k text CONSTRAINT t_k_key UNIQUE)")
        try conn.execute("INSERT INTO t VALUES ($1)", ["a"])
        let error = try #require(failure { try conn.execute("INSERT INTO t VALUES ($1)", ["a"]) })
        #expect(error.category == .conflict)
        #expect(error.sqlState == "23505")
        #expect(error.constraintName == "t_k_key")
        #expect(error.detail?.contains("already exists") == true)
    }

    @Test func otherIntegrityViolationsAreConstraintErrors() throws {
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE t (k text NOT NULL CHECK (k <> ''))")
        let notNull = try #require(failure { try conn.execute("INSERT INTO t VALUES ($1)", [nil]) })
        #expect(notNull.category == .constraint)
        #expect(notNull.sqlState == "23502")
        let check = try #require(failure { try conn.execute("INSERT INTO t VALUES ($1)", [""]) })
        #expect(check.category == .constraint)
        #expect(check.sqlState == "23514")
    }

    @Test func triggerRaiseIsAConstraintError() throws {
        let conn = try freshConnection()
        try conn.executeScript("""
            CREATE TABLE audit (seq bigserial PRIMARY KEY, body text);
            CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$;
            CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
            FOR EACH ROW EXECUTE FUNCTION audit_append_only();
            """)
        try conn.execute("INSERT INTO audit (body) VALUES ($1)", ["created"])
        let error = try #require(failure { try conn.execute("UPDATE audit SET body = $1", ["forged"]) })
        #expect(error.category == .constraint)
        #expect(error.sqlState == "P0001")
        #expect(error.message == "audit events are append-only")
        #expect(try conn.execute("SELECT body FROM audit").first?.string(0) == "created")
    }

    @Test func syntaxAndUnknownTableAreSyntaxErrors() throws {
        let conn = try freshConnection()
        let syntax = try #require(failure { try conn.execute("SELEC 1") })
        #expect(syntax.category == .syntax)
        #expect(syntax.sqlState == "42601")
        #expect(failure { try conn.execute("SELECT * FROM no_such_table") }?.sqlState == "42P01")
        // A parameter is a value, never SQL: this compares, it does not run.
        #expect(try conn.execute("SELECT $1::text = 'x' AS same", ["x' OR '1'='1"]).first?.bool("same") == false)
    }

    @Test func transactionCommits() throws {
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE t (x int)")
        let value = try conn.transaction { conn in
            try conn.execute("INSERT INTO t VALUES (1)")
            return 42
        }
        #expect(value == 42)
        #expect(try conn.execute("SELECT count(*) FROM t").first?.int64(0) == 1)
    }

    @Test func transactionRollsBackWhenBodyThrows() throws {
        struct Abandon: Error {}
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE t (x int)")
        #expect(throws: Abandon.self) {
            try conn.transaction { conn in
                try conn.execute("INSERT INTO t VALUES (1)")
                throw Abandon()
            }
        }
        #expect(try conn.execute("SELECT count(*) FROM t").first?.int64(0) == 0)
        // The session is usable afterwards (not stuck in an aborted transaction).
        try conn.execute("INSERT INTO t VALUES (2)")
        #expect(try conn.execute("SELECT count(*) FROM t").first?.int64(0) == 1)
    }

    @Test func transactionWithACaughtStatementErrorDoesNotCommit() throws {
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE t (x int UNIQUE)")
        let error = failure {
            try conn.transaction { conn in
                try conn.execute("INSERT INTO t VALUES (1)")
                _ = try? conn.execute("INSERT INTO t VALUES (1)")  // fails; swallowed
            }
        }
        #expect(error?.sqlState == "25P02")
        #expect(try conn.execute("SELECT count(*) FROM t").first?.int64(0) == 0)
    }

    @Test func transactionsDoNotNest() throws {
        let conn = try freshConnection()
        #expect(failure { try conn.transaction { conn in try conn.transaction { _ in } } } != nil)
        #expect(try conn.execute("SELECT 1").rows.count == 1)
    }

    @Test func serializationFailureIsAConflict() throws {
        let url = try PostgresTestCluster.shared.createDatabase(prefix: "serial")
        let a = try PostgresConnection(url)
        let b = try PostgresConnection(url)
        try a.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
        try a.execute("INSERT INTO t VALUES (1, 0)")
        try a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        #expect(try a.execute("SELECT v FROM t WHERE id = 1").first?.int64(0) == 0)
        try b.execute("UPDATE t SET v = 1 WHERE id = 1")  // commits outside a's snapshot
        let error = try #require(failure { try a.execute("UPDATE t SET v = 2 WHERE id = 1") })
        #expect(error.category == .conflict)
        #expect(error.sqlState == "40001")
        try a.execute("ROLLBACK")
    }

    @Test func connectionStringsAndURIsBothWork() throws {
        let keywordForm = try PostgresTestCluster.shared.createDatabase(prefix: "uri")
        let conn = try PostgresConnection(keywordForm)
        #expect(conn.isAlive)
        #expect(conn.serverVersion >= 100_000)
        #expect(failure { try PostgresConnection("postgresql:///nope?host=/nonexistent-socket-dir&port=1") }?.category == .unavailable)
        // The same database through a URI (possible to build only for the
        // local throwaway server, whose socket directory we can ask for).
        if PostgresTestCluster.shared.canRestart {
            let row = try #require(try conn.execute(
                "SELECT current_setting('unix_socket_directories') AS dir, current_setting('port') AS port, current_database() AS db").first)
            let dir = try row.string("dir").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let uri = "postgresql://postgres@/\(try row.string("db"))?host=\(dir)&port=\(try row.string("port"))"
            let viaURI = try PostgresConnection(uri)
            #expect(try viaURI.execute("SELECT current_database()").first?.string(0) == row.string("db"))
        }
    }

    @Test func notificationsArrive() throws {
        let url = try PostgresTestCluster.shared.createDatabase(prefix: "notify")
        let listener = try PostgresConnection(url)
        let sender = try PostgresConnection(url)
        try listener.execute("LISTEN case_events")
        #expect(try listener.notifications().isEmpty)
        try sender.execute("SELECT pg_notify('case_events', $1)", ["case-7"])
        var received: [PostgresNotification] = []
        for _ in 0..<100 where received.isEmpty {  // bounded: the NOTIFY is already committed
            received = try listener.notifications()
            if received.isEmpty { usleep(10_000) }
        }
        #expect(received.map(\.channel) == ["case_events"])
        #expect(received.map(\.payload) == ["case-7"])
    }

    @Test(arguments: [
        ("40001", PostgresError.Category.conflict), ("40P01", .conflict), ("23505", .conflict),
        ("23503", .constraint), ("23514", .constraint), ("P0001", .constraint),
        ("08006", .unavailable), ("08001", .unavailable), ("57P01", .unavailable), ("57P02", .unavailable), ("57P03", .unavailable),
        ("42601", .syntax), ("42P01", .syntax), ("22P02", .other), ("57014", .other),
    ])
    func sqlStatesMapToCategories(state: String, category: PostgresError.Category) {
        #expect(PostgresError.category(forSQLState: state) == category)
    }
}

/// Tests that stop the server. They get a cluster of their own, so other
/// tests' connections to the shared one are not cut.
@Suite(.serialized) struct PostgresRestartTests {
    @Test func lostServerIsUnavailableAndResetRecovers() throws {
        let cluster = PostgresTestCluster(useEnvironmentDatabase: false)
        defer { cluster.stop() }
        let url = try cluster.createDatabase(prefix: "restart")
        let conn = try PostgresConnection(url)
        try conn.execute("CREATE TABLE t (x int)")
        try conn.execute("INSERT INTO t VALUES (1)")
        try conn.prepare(name: "count", sql: "SELECT count(*) FROM t")

        try cluster.restart()

        let error = try #require(failure { try conn.execute("SELECT 1") })
        #expect(error.category == .unavailable)
        #expect(!conn.isAlive)
        try conn.reset()
        #expect(conn.isAlive)
        // Committed data survived the restart, and the prepared statement was re-made.
        #expect(try conn.executePrepared(name: "count").first?.int64(0) == 1)
    }

    @Test func resetFailsWhileServerIsDown() throws {
        let cluster = PostgresTestCluster(useEnvironmentDatabase: false)
        let url = try cluster.createDatabase(prefix: "down")
        let conn = try PostgresConnection(url)
        cluster.stop()
        #expect(failure { try conn.execute("SELECT 1") }?.category == .unavailable)
        #expect(failure { try conn.reset() }?.category == .unavailable)
        #expect(failure { try PostgresConnection(url) }?.category == .unavailable)
    }
}
