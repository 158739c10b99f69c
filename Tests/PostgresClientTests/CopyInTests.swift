import PostgresClient
import PostgresTestSupport
import Testing

@Suite struct CopyInTests {
    private func freshConnection() throws -> PostgresConnection {
        try PostgresConnection(PostgresTestCluster.shared.createDatabase(prefix: "pgcopy"))
    }

    @Test func rowsArriveUnchangedWithEscapesAndNulls() throws {
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE t (id bigint PRIMARY KEY, body text, flag boolean)")
        let awkward = ["tab\there", "line\nbreak\r\n", "back\\slash \\N", "\\.", "Ärztin 細胞 🧬", ""]
        let copied = try conn.copyIn("COPY t (id, body, flag) FROM STDIN") { copy in
            for (i, text) in awkward.enumerated() { try copy.row([String(i), text, i % 2 == 0 ? "t" : "f"]) }
            try copy.row(["100", nil, nil])
        }
        #expect(copied == awkward.count + 1)
        let rows = try conn.execute("SELECT id, body, flag FROM t ORDER BY id").rows
        #expect(try rows.dropLast().map { try $0.string("body") } == awkward)
        #expect(try rows[0].bool("flag") == true && rows[1].bool("flag") == false)
        #expect(try rows.last?.isNull("body") == true)
    }

    @Test func manyRowsCrossSeveralBuffers() throws {
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE t (id bigint PRIMARY KEY, body text)")
        let filler = String(repeating: "x", count: 200)
        let copied = try conn.copyIn("COPY t (id, body) FROM STDIN") { copy in
            for i in 0..<5_000 { try copy.row([String(i), filler]) }
        }
        #expect(copied == 5_000)
        #expect(try conn.execute("SELECT count(*) AS n, sum(length(body)) AS l FROM t").first?.int64("l") == 1_000_000)
    }

    @Test func aServerRejectionDiscardsTheWholeCopy() throws {
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE t (id bigint PRIMARY KEY)")
        #expect(throws: PostgresError.self) {
            try conn.copyIn("COPY t (id) FROM STDIN") { copy in
                try copy.row(["1"])
                try copy.row(["1"])  // duplicate key
            }
        }
        #expect(try conn.execute("SELECT count(*) AS n FROM t").first?.int64("n") == 0)
        // The session is usable afterwards.
        #expect(try conn.copyIn("COPY t (id) FROM STDIN") { try $0.row(["2"]) } == 1)
    }

    struct Abandon: Error {}

    @Test func aThrowingBodyAbortsAndRethrows() throws {
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE t (id bigint)")
        #expect(throws: Abandon.self) {
            try conn.copyIn("COPY t (id) FROM STDIN") { copy in
                try copy.row(["1"])
                throw Abandon()
            }
        }
        #expect(try conn.execute("SELECT count(*) AS n FROM t").first?.int64("n") == 0)
    }

    @Test func nulInAValueIsRefusedAndNothingIsCopied() throws {
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE t (body text)")
        let error = #expect(throws: PostgresError.self) {
            try conn.copyIn("COPY t (body) FROM STDIN") { try $0.row(["a\u{0}b"]) }
        }
        #expect(error?.sqlState == "22021")
        #expect(try conn.execute("SELECT count(*) AS n FROM t").first?.int64("n") == 0)
    }

    @Test func aStatementThatIsNotCopyFromStdinIsRefused() throws {
        let conn = try freshConnection()
        #expect(throws: PostgresError.self) { try conn.copyIn("SELECT 1") { _ in } }
        #expect(throws: PostgresError.self) { try conn.copyIn("COPY nowhere FROM STDIN") { _ in } }
        #expect(try conn.execute("SELECT 1 AS one").first?.int64("one") == 1)
    }
}
