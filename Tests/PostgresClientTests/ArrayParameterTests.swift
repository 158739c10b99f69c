import PostgresClient
import PostgresTestSupport
import Testing

private func freshConnection() throws -> PostgresConnection {
    try PostgresConnection(PostgresTestCluster.shared.createDatabase(prefix: "pgarray"))
}

/// Array parameters in binary format, against a real server.
@Suite struct ArrayParameterTests {
    @Test func elementsOfEachTypeRoundTripInOrderWithNulls() throws {
        let conn = try freshConnection()
        let texts: [String?] = ["plain", nil, "it's \"quoted\" {a,b} \\ NULL", "Zelltherapie – Ärztin 細胞 🧬", "",
                                String(repeating: "x", count: 70_000)]
        let ints: [Int64?] = [Int64.min, nil, -1, 0, 1, Int64.max]
        let smalls: [Int32?] = [Int32.min, 7, nil, 0, -7, Int32.max]
        let flags: [Bool?] = [true, false, nil, true, false, nil]
        var t = PostgresArray(of: .text), i = PostgresArray(of: .int8)
        var s = PostgresArray(of: .int4), b = PostgresArray(of: .bool)
        for k in 0..<6 {
            t.append(texts[k])
            i.append(ints[k])
            s.append(smalls[k])
            b.append(flags[k])
        }
        #expect(t.count == 6)
        let rows = try conn.execute("""
            SELECT n, t, i, s, b FROM unnest($1::text[], $2::bigint[], $3::integer[], $4::boolean[])
                WITH ORDINALITY AS u(t, i, s, b, n) ORDER BY n
            """, [.array(t), .array(i), .array(s), .array(b)]).rows
        #expect(rows.count == 6)
        for (k, row) in rows.enumerated() {
            #expect(try row.int64("n") == Int64(k + 1))
            #expect(try (row.isNull("t") ? nil : row.string("t")) == texts[k])
            #expect(try (row.isNull("i") ? nil : row.int64("i")) == ints[k])
            #expect(try (row.isNull("s") ? nil : row.int64("s")) == smalls[k].map(Int64.init))
            #expect(try (row.isNull("b") ? nil : row.bool("b")) == flags[k])
        }
    }

    @Test func anEmptyArrayHasNoRows() throws {
        let conn = try freshConnection()
        let row = try #require(try conn.execute(
            "SELECT cardinality($1::text[]) AS n, (SELECT count(*) FROM unnest($2::bigint[])) AS m",
            [.array(PostgresArray(of: .text)), .array(PostgresArray(of: .int8))]).first)
        #expect(try row.int64("n") == 0)
        #expect(try row.int64("m") == 0)
    }

    @Test func elementsEncodedAsRowsAreTakenApartIntoTheSameArrays() throws {
        // Two "rows" of (text, bigint, boolean), encoded ahead as a caller
        // on another thread would, then split one element per array.
        var direct = [PostgresArray(of: .text), PostgresArray(of: .int8), PostgresArray(of: .bool)]
        var spliced = direct
        for (text, number, flag) in [("a", Int64(1), true as Bool?), ("β", -2, nil)] as [(String?, Int64?, Bool?)] {
            direct[0].append(text)
            direct[1].append(number)
            direct[2].append(flag)
            var row: [UInt8] = []
            PostgresArray.encode(text, into: &row)
            PostgresArray.encode(number, into: &row)
            PostgresArray.encode(flag, into: &row)
            var offset = 0
            for column in spliced.indices { spliced[column].appendEncoded(from: row, at: &offset) }
            #expect(offset == row.count)
        }
        #expect(spliced == direct)
        let conn = try freshConnection()
        let rows = try conn.execute("SELECT t, i, b FROM unnest($1::text[], $2::bigint[], $3::boolean[]) AS u(t, i, b)",
                                    spliced.map { .array($0) }).rows
        #expect(try rows.map { try $0.string("t") } == ["a", "β"])
        #expect(try rows[1].isNull("b"))
    }

    @Test func textAndBinaryParametersMixInOnePreparedStatement() throws {
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE t (k text, v bigint)")
        try conn.prepare(name: "put", sql: "INSERT INTO t SELECT $1 || u.k, $3::bigint + u.v FROM unnest($2::text[], $4::bigint[]) AS u(k, v)")
        var keys = PostgresArray(of: .text), values = PostgresArray(of: .int8)
        keys.append("x")
        keys.append("y")
        values.append(Int64(1))
        values.append(Int64(2))
        let inserted = try conn.executePrepared(name: "put", params: [.text("k-"), .array(keys), .int(100), .array(values)])
        #expect(inserted.rowsAffected == 2)
        let rows = try conn.execute("SELECT k, v FROM t ORDER BY k").rows
        #expect(try rows.map { try $0.string("k") } == ["k-x", "k-y"])
        #expect(try rows.map { try $0.int64("v") } == [101, 102])
    }

    @Test func anArrayOfTheWrongElementTypeIsRefusedByTheServer() throws {
        let conn = try freshConnection()
        var numbers = PostgresArray(of: .int8)
        numbers.append(Int64(1))
        #expect(throws: PostgresError.self) { try conn.execute("SELECT $1::text[]", [.array(numbers)]) }
        // The session is still usable afterwards.
        #expect(try conn.execute("SELECT 1 AS one").first?.int64("one") == 1)
    }

    @Test func nulInATextElementIsRefusedNotTruncated() throws {
        let conn = try freshConnection()
        try conn.execute("CREATE TABLE t (k text)")
        var keys = PostgresArray(of: .text)
        keys.append("fine")
        keys.append("before\u{0}after")
        #expect(throws: PostgresError.self) {
            try conn.execute("INSERT INTO t SELECT * FROM unnest($1::text[])", [.array(keys)])
        }
        #expect(try conn.execute("SELECT count(*) AS n FROM t").first?.int64("n") == 0)
    }
}
