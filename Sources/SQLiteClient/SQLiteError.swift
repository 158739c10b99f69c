import CSQLite

/// A failure reported by SQLite, with its extended result code.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; the same categories as
    /// `PostgresError.Category`, so a store can treat both alike.
    public enum Category: Sendable, Hashable {
        /// Another connection holds a lock (SQLITE_BUSY after the busy
        /// timeout ran out, SQLITE_LOCKED): retrying may succeed.
        case conflict
        /// A schema rule was broken: SQLITE_CONSTRAINT and all its extended
        /// codes, including SQLITE_CONSTRAINT_TRIGGER from a trigger's
        /// `RAISE(ABORT, …)`.
        case constraint
        /// The database file cannot be used: SQLITE_CANTOPEN, IOERR, FULL,
        /// CORRUPT, NOTADB, READONLY, PERM, PROTOCOL, NOLFS.
        case unavailable
        /// SQLite rejected the statement (SQLITE_ERROR: syntax, unknown
        /// table or column, …).
        case syntax
        /// A result value is not of the type asked for, or the column does
        /// not exist.
        case decoding
        /// Anything else (misuse, wrong parameter count, …).
        case other
    }

    public var category: Category
    /// The extended result code (e.g. 2067 SQLITE_CONSTRAINT_UNIQUE).
    public var code: Int32
    public var message: String

    /// The primary result code: the low byte of the extended code.
    public var primaryCode: Int32 { code & 0xFF }

    public init(code: Int32, message: String, category: Category? = nil) {
        self.code = code
        self.message = message
        self.category = category ?? Self.category(forResultCode: code)
    }

    /// The category of an (extended or primary) result code.
    public static func category(forResultCode code: Int32) -> Category {
        switch code & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED: return .conflict
        case SQLITE_CONSTRAINT: return .constraint
        case SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_FULL, SQLITE_CORRUPT, SQLITE_NOTADB,
             SQLITE_READONLY, SQLITE_PERM, SQLITE_PROTOCOL, SQLITE_NOLFS:
            return .unavailable
        case SQLITE_ERROR: return .syntax
        case SQLITE_MISMATCH: return .decoding
        default: return .other
        }
    }

    public var description: String {
        let name = String(cString: sqlite3_errstr(code))
        return "SQLite \(category) [\(code) \(name)]: \(message)"
    }
}
