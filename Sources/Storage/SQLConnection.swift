import PostgresClient
import SQLiteClient

/// A value sent to the database as a parameter — never spliced into SQL.
enum SQLValue: Sendable, Equatable {
    case text(String)
    case int(Int64)
    case bool(Bool)
    case null
    /// PostgreSQL only: an array in binary format, for statements that take
    /// many rows at once (`unnest`). SQLite refuses it.
    case array(PostgresArray)

    static func optional(_ s: String?) -> SQLValue { s.map(SQLValue.text) ?? .null }
    static func optional(_ i: Int64?) -> SQLValue { i.map(SQLValue.int) ?? .null }
}

/// One result row, decoded by position, the same way for both databases.
struct SQLRow: Sendable {
    fileprivate enum Cell: Sendable { case text(String), int(Int64), null }
    /// PostgreSQL's rows are all text and are kept as libpq's wrapper made
    /// them: copying each into cells cost a second array per row, which
    /// showed in reads of millions of rows (a full verify).
    fileprivate enum Values: Sendable { case texts([String?]), cells([Cell]) }
    fileprivate var values: Values

    fileprivate init(cells: [Cell]) { values = .cells(cells) }
    fileprivate init(texts: [String?]) { values = .texts(texts) }

    fileprivate func cell(_ i: Int) -> Cell {
        switch values {
        case .texts(let texts): return texts[i].map(Cell.text) ?? .null
        case .cells(let cells): return cells[i]
        }
    }

    func string(_ i: Int) throws(StoreError) -> String {
        switch cell(i) {
        case .text(let s): return s
        case .int(let n): return String(n)
        case .null: throw StoreError(.corrupt, "column \(i) is NULL where text was expected")
        }
    }

    func optionalString(_ i: Int) throws(StoreError) -> String? {
        if case .null = cell(i) { return nil }
        return try string(i)
    }

    func int(_ i: Int) throws(StoreError) -> Int64 {
        switch cell(i) {
        case .int(let n): return n
        case .text(let s):
            guard let n = Int64(s) else { throw StoreError(.corrupt, "column \(i) holds \(s.debugDescription), not an integer") }
            return n
        case .null: throw StoreError(.corrupt, "column \(i) is NULL where an integer was expected")
        }
    }

    func optionalInt(_ i: Int) throws(StoreError) -> Int64? {
        if case .null = cell(i) { return nil }
        return try int(i)
    }

    func bool(_ i: Int) throws(StoreError) -> Bool {
        switch cell(i) {
        case .int(let n): return n != 0
        case .text(let s):
            switch s {
            case "t", "true", "1": return true
            case "f", "false", "0": return false
            default: throw StoreError(.corrupt, "column \(i) holds \(s.debugDescription), not a boolean")
            }
        case .null: throw StoreError(.corrupt, "column \(i) is NULL where a boolean was expected")
        }
    }
}

/// What the SQL-speaking store needs of a connection. Both drivers are
/// adapted to it, so the store's logic — and its SQL, written with `$1`
/// placeholders — is shared; only a few statements differ by dialect.
///
/// Calls block: they run on the pool's threads, never on an event loop.
protocol SQLConnection: AnyObject, Sendable {
    var dialect: Dialect { get }
    func query(_ sql: String, _ params: [SQLValue]) throws(StoreError) -> [SQLRow]
    /// Runs `body` in one transaction; rolls back if it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T
    /// False once the connection is known to be unusable.
    var isUsable: Bool { get }
}

extension SQLConnection {
    @discardableResult
    func execute(_ sql: String, _ params: [SQLValue] = []) throws(StoreError) -> [SQLRow] {
        try query(sql, params)
    }
}

// MARK: - PostgreSQL

final class PostgresSQLConnection: SQLConnection, @unchecked Sendable {
    // PostgresConnection serializes its own calls with a lock; the pool hands
    // this object to one piece of work at a time, which guards `prepared`.
    let connection: PostgresConnection
    private(set) var isUsable = true
    var dialect: Dialect { .postgres }
    /// Statements with parameters are prepared once per connection (the
    /// server plans them once) and then run by name.
    private var prepared: [String: String] = [:]

    init(_ connection: PostgresConnection) { self.connection = connection }

    func query(_ sql: String, _ params: [SQLValue]) throws(StoreError) -> [SQLRow] {
        do {
            let result: PostgresResult
            if params.isEmpty {
                result = try connection.execute(sql, [])
            } else {
                result = try connection.executePrepared(name: try preparedName(sql), params: Self.values(params))
            }
            return Self.rows(result)
        } catch {
            throw map(error)
        }
    }

    /// The name `sql` is prepared under on this session, preparing it first
    /// when it is new (which waits for the server).
    private func preparedName(_ sql: String) throws(PostgresError) -> String {
        if let known = prepared[sql] { return known }
        let name = "atmp_\(prepared.count + 1)"
        try connection.prepare(name: name, sql: sql)
        prepared[sql] = name
        return name
    }

    private static func values(_ params: [SQLValue]) -> [PostgresValue?] {
        params.map {
            switch $0 {
            case .text(let s): return .text(s)
            case .int(let n): return .int(n)
            case .bool(let b): return .bool(b)
            case .null: return nil
            case .array(let a): return .array(a)
            }
        }
    }

    private static func rows(_ result: PostgresResult) -> [SQLRow] { result.rows.map { SQLRow(texts: $0.values) } }

    // MARK: Without waiting (the commit lanes)

    /// Prepares `sql` now, waiting for the server, so that `send` can run it
    /// later without waiting; and switches the session to non-blocking mode.
    func prepareToSend(_ statements: [String]) throws(StoreError) {
        do {
            for sql in statements { _ = try preparedName(sql) }
            try connection.setNonBlocking(true)
        } catch {
            throw map(error)
        }
    }

    /// Marks the session unusable, so that the pool closes it instead of
    /// handing it out again (its protocol state is unknown after a failed send).
    func discard() { isUsable = false }

    /// Back to blocking mode, before the session returns to the pool.
    func stopSending() {
        try? connection.setNonBlocking(false)
    }

    /// Sends a statement made ready with `prepareToSend`, without waiting:
    /// true when all of it reached the socket, false when the rest waits for
    /// `flush`. Its rows come from `receive`.
    func send(_ sql: String, _ params: [SQLValue]) throws(StoreError) -> Bool {
        guard let name = prepared[sql] else {
            throw StoreError(.failure, "a statement sent without waiting was not prepared first")
        }
        do {
            return try connection.sendPrepared(name: name, params: Self.values(params))
        } catch {
            throw map(error)
        }
    }

    /// Sends more of what `send` left buffered; true when all is sent.
    func flush() throws(StoreError) -> Bool {
        do {
            return try connection.flush()
        } catch {
            throw map(error)
        }
    }

    /// The sent statement's rows, or the error the server answered; nil
    /// while the answer has not all arrived. Throws when the session is lost
    /// (and marks it unusable).
    func receive() throws(StoreError) -> Result<[SQLRow], StoreError>? {
        let results: [Result<PostgresResult, PostgresError>]
        do {
            guard let arrived = try connection.readResults() else { return nil }
            results = arrived
        } catch {
            throw map(error)
        }
        switch results.count {
        case 0: return .success([])  // nothing was sent: what the server said unasked was read
        case 1: return results[0].map(Self.rows).mapError { map($0) }
        default: return .failure(StoreError(.failure, "one statement answered \(results.count) results"))
        }
    }

    /// The socket to poll(2) while waiting for `receive` or `flush`.
    var socketDescriptor: Int32 { connection.socketDescriptor }

    func transaction<T>(_ body: () throws -> T) throws -> T {
        do {
            return try connection.transaction { _ in try body() }
        } catch let error as PostgresError {
            throw map(error)
        }
    }

    func map(_ error: PostgresError) -> StoreError {
        switch error.category {
        case .conflict: return StoreError(.conflict, error.message)
        case .constraint: return StoreError(.constraint, error.message)
        case .unavailable:
            isUsable = false
            return StoreError(.unavailable, "PostgreSQL unavailable: \(error.message)")
        case .decoding: return StoreError(.corrupt, error.message)
        default:
            if !connection.isAlive { isUsable = false }
            return StoreError(.failure, "\(error)")
        }
    }
}

// MARK: - SQLite

final class SQLiteSQLConnection: SQLConnection, @unchecked Sendable {
    // SQLiteConnection serializes its own calls with a lock.
    let connection: SQLiteConnection
    var isUsable: Bool { true }
    var dialect: Dialect { .sqlite }
    private var translated: [String: String] = [:]

    init(_ connection: SQLiteConnection) { self.connection = connection }

    /// `$1` (PostgreSQL) becomes `?1` (SQLite): the same numbered parameter.
    private func sqliteText(_ sql: String) -> String {
        if let done = translated[sql] { return done }
        var out = ""
        out.reserveCapacity(sql.utf8.count)
        var previous: Character = " "
        for ch in sql {
            if previous == "$", ch.isNumber { out.removeLast(); out.append("?") }
            out.append(ch)
            previous = ch
        }
        translated[sql] = out
        return out
    }

    func query(_ sql: String, _ params: [SQLValue]) throws(StoreError) -> [SQLRow] {
        var values: [SQLiteValue?] = []
        values.reserveCapacity(params.count)
        for param in params {
            switch param {
            case .text(let s): values.append(.text(s))
            case .int(let n): values.append(.integer(n))
            case .bool(let b): values.append(.integer(b ? 1 : 0))
            case .null: values.append(nil)
            case .array: throw StoreError(.failure, "SQLite takes no array parameters")
            }
        }
        do {
            let result = try connection.execute(sqliteText(sql), values)
            return result.rows.map { row in
                SQLRow(cells: row.values.map { value in
                    switch value {
                    case .none: return .null
                    case .some(.integer(let n)): return .int(n)
                    case .some(.text(let s)): return .text(s)
                    case .some(.real(let d)): return .text(String(d))
                    case .some(.blob(let b)): return .text(String(decoding: b, as: UTF8.self))
                    }
                })
            }
        } catch {
            throw Self.map(error)
        }
    }

    func transaction<T>(_ body: () throws -> T) throws -> T {
        do {
            return try connection.transaction(immediate: true) { _ in try body() }
        } catch let error as SQLiteError {
            throw Self.map(error)
        }
    }

    static func map(_ error: SQLiteError) -> StoreError {
        // As on PostgreSQL (23505), a clash on a unique key means someone
        // else wrote first: a conflict, not a broken rule.
        if error.code == 1555 /* SQLITE_CONSTRAINT_PRIMARYKEY */ || error.code == 2067 /* SQLITE_CONSTRAINT_UNIQUE */ {
            return StoreError(.conflict, error.message)
        }
        // The write lock stayed taken past the busy timeout: try again later.
        if error.primaryCode == 5 /* SQLITE_BUSY */ || error.primaryCode == 6 /* SQLITE_LOCKED */ {
            return StoreError(.unavailable, "SQLite database is busy: \(error.message)")
        }
        switch error.category {
        case .conflict: return StoreError(.conflict, error.message)
        case .constraint: return StoreError(.constraint, error.message)
        case .unavailable: return StoreError(.unavailable, "SQLite unavailable: \(error.message)")
        default: return StoreError(.failure, "\(error)")
        }
    }
}
