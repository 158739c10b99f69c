import PostgresClient
import SQLiteClient

/// A value sent to the database as a parameter — never spliced into SQL.
enum SQLValue: Sendable, Equatable {
    case text(String)
    case int(Int64)
    case bool(Bool)
    case null

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
        let values: [PostgresValue?] = params.map {
            switch $0 {
            case .text(let s): return .text(s)
            case .int(let n): return .int(n)
            case .bool(let b): return .bool(b)
            case .null: return nil
            }
        }
        do {
            let result: PostgresResult
            if params.isEmpty {
                result = try connection.execute(sql, values)
            } else {
                let name: String
                if let known = prepared[sql] {
                    name = known
                } else {
                    name = "atmp_\(prepared.count + 1)"
                    try connection.prepare(name: name, sql: sql)
                    prepared[sql] = name
                }
                result = try connection.executePrepared(name: name, params: values)
            }
            return result.rows.map { SQLRow(texts: $0.values) }
        } catch {
            throw map(error)
        }
    }

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
        let values: [SQLiteValue?] = params.map {
            switch $0 {
            case .text(let s): return .text(s)
            case .int(let n): return .integer(n)
            case .bool(let b): return .integer(b ? 1 : 0)
            case .null: return nil
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
