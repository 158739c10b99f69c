import CSQLite
import Foundation

/// One connection to an SQLite database file.
///
/// On open it sets the settings the stores rely on for durability and
/// integrity: `journal_mode=WAL` (readers do not block the writer),
/// `synchronous=FULL` (a committed transaction survives power loss),
/// `foreign_keys=ON`, a busy timeout, and extended result codes.
///
/// Values reach SQLite only through `sqlite3_bind_*` on prepared
/// statements; this type offers no way to splice a value into SQL text.
///
/// Thread safety: the database is opened with `SQLITE_OPEN_NOMUTEX`, and
/// this type serializes every use of the handle and of its cached
/// statements with its own recursive lock instead. SQLite's FULLMUTEX
/// would not be enough on its own — bind, step and reset of a cached
/// statement must happen as one unit — and would only add a second lock.
/// That lock is why the type can be `@unchecked Sendable`. A `transaction`
/// holds the lock across its body. Calls block the calling thread (up to
/// the busy timeout when another connection writes): keep them off event
/// loops.
public final class SQLiteConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    private let lock = NSRecursiveLock()
    private var statementCache: [String: OpaquePointer] = [:]
    /// Past this many distinct SQL texts the cache is emptied, so SQL built
    /// per call (which it should never be) cannot grow it without bound.
    static let statementCacheCapacity = 256

    /// The path the connection was opened with.
    public let path: String

    /// Opens (creating if needed) the database at `path` — `":memory:"` for
    /// a private in-memory database — and applies the connection settings.
    ///
    /// - Parameter busyTimeoutMilliseconds: how long a statement waits for
    ///   another connection's lock before failing with `.conflict`.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws(SQLiteError) {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close_v2(db)
            throw SQLiteError(code: status, message: "cannot open \(path): \(message)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        let mode = try execute("PRAGMA journal_mode=WAL").first?.string(0)
        // In-memory databases report "memory": WAL needs a file.
        if path != ":memory:" && !path.isEmpty && mode != "wal" {
            throw SQLiteError(code: SQLITE_ERROR, message: "could not switch \(path) to WAL (journal_mode is \(mode ?? "unknown"))", category: .unavailable)
        }
        try execute("PRAGMA synchronous=FULL")
        try execute("PRAGMA foreign_keys=ON")
    }

    /// The same as `init(path:busyTimeoutMilliseconds:)`.
    public static func open(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws(SQLiteError) -> SQLiteConnection {
        try SQLiteConnection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
    }

    deinit {
        close()
    }

    /// Finalizes cached statements and closes the database. Later calls
    /// throw. Called by deinit; calling it twice is harmless.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        statementCache.values.forEach { sqlite3_finalize($0) }
        statementCache = [:]
        sqlite3_close_v2(handle)
        handle = nil
    }

    // MARK: - Statements

    /// Runs one statement with `?` (or `?NNN`, `:name`) placeholders bound
    /// to `params` in order; `nil` binds NULL. The compiled statement is
    /// cached under its SQL text and reused by later calls.
    ///
    ///     try db.execute("INSERT INTO cases (id, title) VALUES (?, ?)", [.text(id), .text(title)])
    @discardableResult
    public func execute(_ sql: String, _ params: [SQLiteValue?] = []) throws(SQLiteError) -> SQLiteResult {
        lock.lock()
        defer { lock.unlock() }
        let db = try openHandle()
        guard let statement = try cachedStatement(sql, db) else {
            return SQLiteResult(columns: [], values: [])  // only whitespace or comments
        }
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        try bind(params, to: statement, db)
        let columnCount = sqlite3_column_count(statement)
        let columns = (0..<columnCount).map { String(cString: sqlite3_column_name(statement, $0)) }
        var rows: [[SQLiteValue?]] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw Self.error(status, db) }
            rows.append((0..<columnCount).map { Self.column($0, of: statement) })
        }
        return SQLiteResult(columns: columns, values: rows)
    }

    /// Runs SQL text that may hold several statements and takes no
    /// parameters (`sqlite3_exec`): for fixed schema scripts shipped with
    /// the program. Never build its text from data.
    public func executeScript(_ sql: String) throws(SQLiteError) {
        lock.lock()
        defer { lock.unlock() }
        let db = try openHandle()
        let status = sqlite3_exec(db, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw Self.error(status, db) }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    public var changes: Int {
        lock.lock()
        defer { lock.unlock() }
        return handle.map { Int(sqlite3_changes64($0)) } ?? 0
    }

    /// The rowid of the last successful INSERT on this connection.
    public var lastInsertRowID: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return handle.map { sqlite3_last_insert_rowid($0) } ?? 0
    }

    // MARK: - Transactions

    /// Runs `body` in a transaction and commits it; if `body` throws, rolls
    /// back and rethrows.
    ///
    /// With `immediate` (the default) the write lock is taken at BEGIN
    /// (`BEGIN IMMEDIATE`), so a transaction that reads then writes cannot
    /// fail half-way for lack of the lock: if another connection is writing,
    /// BEGIN waits up to the busy timeout, then throws `.conflict`.
    /// Transactions do not nest: calling this inside another throws.
    @discardableResult
    public func transaction<T>(immediate: Bool = true, _ body: (SQLiteConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let db = try openHandle()
        guard sqlite3_get_autocommit(db) != 0 else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "transaction() called inside a transaction; transactions do not nest")
        }
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        let value: T
        do {
            value = try body(self)
            try execute("COMMIT")
        } catch {
            // A failed COMMIT (e.g. SQLITE_BUSY) leaves the transaction open.
            if sqlite3_get_autocommit(db) == 0 {
                _ = try? execute("ROLLBACK")
            }
            throw error
        }
        return value
    }

    /// Whether a transaction is open on this connection.
    public var isInTransaction: Bool {
        lock.lock()
        defer { lock.unlock() }
        return handle.map { sqlite3_get_autocommit($0) == 0 } ?? false
    }

    // MARK: - SQLite plumbing

    private func openHandle() throws(SQLiteError) -> OpaquePointer {
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "the connection to \(path) is closed") }
        return handle
    }

    /// The compiled statement for `sql`, from the cache or newly prepared;
    /// nil when the text holds no statement.
    private func cachedStatement(_ sql: String, _ db: OpaquePointer) throws(SQLiteError) -> OpaquePointer? {
        if let statement = statementCache[sql] { return statement }
        var statement: OpaquePointer?
        var trailing = ""
        let status = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let status = sqlite3_prepare_v3(db, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, &tail)
            if let tail { trailing = String(cString: tail) }
            return status
        }
        guard status == SQLITE_OK else { throw Self.error(status, db) }
        guard let statement else { return nil }
        // prepare compiles only the first statement; refuse to drop the rest.
        guard trailing.allSatisfy({ $0.isWhitespace || $0 == ";" }) else {
            sqlite3_finalize(statement)
            throw SQLiteError(code: SQLITE_MISUSE, message: "execute runs one statement, but the SQL holds more; use executeScript for scripts", category: .syntax)
        }
        if statementCache.count >= Self.statementCacheCapacity {
            statementCache.values.forEach { sqlite3_finalize($0) }
            statementCache = [:]
        }
        statementCache[sql] = statement
        return statement
    }

    private func bind(_ params: [SQLiteValue?], to statement: OpaquePointer, _ db: OpaquePointer) throws(SQLiteError) {
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == params.count else {
            throw SQLiteError(code: SQLITE_RANGE, message: "the statement takes \(expected) parameters, \(params.count) given", category: .other)
        }
        for (offset, param) in params.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch param {
            case nil:
                status = sqlite3_bind_null(statement, index)
            case .integer(let value)?:
                status = sqlite3_bind_int64(statement, index, value)
            case .real(let value)?:
                status = sqlite3_bind_double(statement, index, value)
            case .text(let text)?:
                // Explicit byte length: text may contain NUL. (withCString
                // hands over the whole UTF-8 buffer, never a nil pointer,
                // which would bind NULL instead of "".)
                status = text.withCString {
                    sqlite3_bind_text64(statement, index, $0, UInt64(text.utf8.count), csqlite_transient(), UInt8(SQLITE_UTF8))
                }
            case .blob(let bytes)?:
                // A nil data pointer would bind NULL, so an empty blob is a zeroblob.
                status = bytes.isEmpty
                    ? sqlite3_bind_zeroblob(statement, index, 0)
                    : bytes.withUnsafeBytes { sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), csqlite_transient()) }
            }
            guard status == SQLITE_OK else { throw Self.error(status, db) }
        }
    }

    private static func column(_ index: Int32, of statement: OpaquePointer) -> SQLiteValue? {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            // Ask for the text before its length, as SQLite documents.
            let text = sqlite3_column_text(statement, index)
            let count = Int(sqlite3_column_bytes(statement, index))
            return .text(text.map { String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self) } ?? "")
        case SQLITE_BLOB:
            let bytes = sqlite3_column_blob(statement, index)
            let count = Int(sqlite3_column_bytes(statement, index))
            return .blob(bytes.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? [])
        default:
            return nil
        }
    }

    private static func error(_ status: Int32, _ db: OpaquePointer) -> SQLiteError {
        SQLiteError(code: status, message: String(cString: sqlite3_errmsg(db)))
    }
}
