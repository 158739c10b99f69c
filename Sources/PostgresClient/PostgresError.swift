/// A failure reported by PostgreSQL or by libpq, with enough detail for a
/// caller to decide what to do next (retry, report to the user, reconnect).
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is, so callers can branch without knowing
    /// SQLSTATE codes.
    public enum Category: Sendable, Hashable {
        /// Another transaction got in the way; retrying the whole transaction
        /// may succeed. SQLSTATE 40001 serialization_failure, 40P01
        /// deadlock_detected, 23505 unique_violation.
        case conflict
        /// The data broke a rule of the schema: any other class 23 code
        /// (integrity constraint violation) and P0001 raise_exception, which
        /// is what a trigger's `RAISE EXCEPTION` produces.
        case constraint
        /// The server cannot be reached or has gone away: class 08
        /// (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown,
        /// 57P03 cannot_connect_now, and any failure after which libpq reports
        /// the connection as bad. Reconnect (`reset()`) and retry.
        case unavailable
        /// The statement itself is wrong: class 42 (syntax error or access
        /// rule violation: unknown table, column, function, permission).
        case syntax
        /// A result value could not be read as the type asked for, or the
        /// column does not exist in the result.
        case decoding
        /// Anything else (data exceptions, resource limits, a NUL in a text
        /// parameter, …).
        case other
    }

    public var category: Category
    /// The five-character SQLSTATE, when the server sent one.
    public var sqlState: String?
    /// The primary message (from the server, or libpq's own text).
    public var message: String
    /// The server's DETAIL line, if any.
    public var detail: String?
    /// The server's HINT line, if any.
    public var hint: String?
    /// The constraint the failure concerns, if the server named one.
    public var constraintName: String?

    public init(
        category: Category, sqlState: String? = nil, message: String,
        detail: String? = nil, hint: String? = nil, constraintName: String? = nil
    ) {
        self.category = category
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraintName = constraintName
    }

    /// The category a SQLSTATE belongs to. Codes not listed in `Category`
    /// fall under `.other`.
    public static func category(forSQLState state: String) -> Category {
        switch state {
        case "40001", "40P01", "23505": return .conflict
        case "P0001": return .constraint
        case "57P01", "57P02", "57P03": return .unavailable
        default: break
        }
        switch state.prefix(2) {
        case "23": return .constraint
        case "08": return .unavailable
        case "42": return .syntax
        default: return .other
        }
    }

    public var description: String {
        var text = "PostgreSQL \(category)"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": \(message)"
        if let detail { text += " (detail: \(detail))" }
        return text
    }
}
