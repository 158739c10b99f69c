import CLibPQ
import Foundation
import Logging

/// One connection to a PostgreSQL server, over libpq.
///
/// Every call blocks the calling thread until the server answers: run it on
/// a thread that may block, never on an event loop.
///
/// Values reach the server only as separate parameters (`$1`, `$2`, …) of
/// `PQexecParams`/`PQexecPrepared`; this type offers no way to splice a
/// value into SQL text.
///
/// Thread safety: libpq forbids using one `PGconn` from two threads at once,
/// so every operation holds a recursive lock for its whole duration (a
/// `transaction` holds it across its body, which keeps other threads from
/// slipping statements into the transaction). That lock is why the type can
/// be `@unchecked Sendable`: it may be handed between threads (for example
/// to a thread pool), and concurrent callers are serialized, not interleaved.
public final class PostgresConnection: @unchecked Sendable {
    let handle: OpaquePointer
    let lock = NSRecursiveLock()
    private let noticeSink: NoticeSink
    /// SQL of the statements made with `prepare`, by name, so `reset()` can
    /// prepare them again on the new session.
    private var preparedStatements: [String: String] = [:]
    /// Results of the statement sent with `sendPrepared`, read so far
    /// (`readResults`); guarded by `lock`.
    var arrivedResults: [Result<PostgresResult, PostgresError>] = []
    public let logger: Logger

    /// Connects with a libpq connection string (`host=… dbname=…`) or URI
    /// (`postgresql://user@host/db?sslmode=require`). Anything the string
    /// leaves out comes from libpq's usual sources: the `PG*` environment
    /// variables, `~/.pg_service.conf`, `~/.pgpass`.
    ///
    /// The client encoding is always UTF8 (Swift strings are UTF-8).
    public init(_ connectionString: String, logger: Logger = Logger(label: "atmp.postgres")) throws(PostgresError) {
        self.logger = logger
        // With expand_dbname = 1 the "dbname" entry may itself be a whole
        // connection string or URI; entries after it override what it says.
        let keywords = ["dbname", "client_encoding", "fallback_application_name"]
        let values = [connectionString, "UTF8", "atmp-tracker"]
        let connection = withCStringArray(keywords) { keywords in
            withCStringArray(values) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let connection else {
            throw PostgresError(category: .unavailable, message: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(category: .unavailable, message: message)
        }
        self.handle = connection
        self.noticeSink = NoticeSink(logger: logger)
        // Without a receiver libpq prints NOTICEs (e.g. "table … does not
        // exist, skipping") to stderr; route them to the logger instead.
        PQsetNoticeReceiver(connection, { context, result in
            guard let context, let result else { return }
            let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
            sink.logger.debug("\(PostgresConnection.trimmed(PQresultErrorMessage(result)))")
        }, Unmanaged.passUnretained(noticeSink).toOpaque())
        logger.debug("connected to PostgreSQL", metadata: ["server_version": "\(PQserverVersion(connection))"])
    }

    deinit {
        PQfinish(handle)
    }

    // MARK: - Statements

    /// Runs one statement with its parameters sent separately
    /// (`PQexecParams`; text format, arrays binary). `nil` parameters are SQL NULL.
    ///
    ///     try conn.execute("INSERT INTO cases (id, title) VALUES ($1, $2)", [.text(id), .text(title)])
    @discardableResult
    public func execute(_ sql: String, _ params: [PostgresValue?] = []) throws(PostgresError) -> PostgresResult {
        lock.lock()
        defer { lock.unlock() }
        let result = try withParameters(params) { count, values, lengths, formats in
            PQexecParams(handle, sql, count, nil, values, lengths, formats, 0)
        }
        return try consume(result)
    }

    /// Prepares a named statement on this session (`PQprepare`). Parameter
    /// types are inferred by the server. The statement is prepared again
    /// automatically after `reset()`.
    public func prepare(name: String, sql: String) throws(PostgresError) {
        lock.lock()
        defer { lock.unlock() }
        _ = try consume(PQprepare(handle, name, sql, 0, nil))
        preparedStatements[name] = sql
    }

    /// Runs a statement made with `prepare` (`PQexecPrepared`).
    @discardableResult
    public func executePrepared(name: String, params: [PostgresValue?] = []) throws(PostgresError) -> PostgresResult {
        lock.lock()
        defer { lock.unlock() }
        let result = try withParameters(params) { count, values, lengths, formats in
            PQexecPrepared(handle, name, count, values, lengths, formats, 0)
        }
        return try consume(result)
    }

    /// Runs SQL text that may hold several statements and takes no
    /// parameters (`PQexec`): for fixed schema scripts shipped with the
    /// program. Never build its text from data — use `execute` with
    /// parameters for anything that carries a value.
    public func executeScript(_ sql: String) throws(PostgresError) {
        lock.lock()
        defer { lock.unlock() }
        _ = try consume(PQexec(handle, sql))
    }

    // MARK: - Transactions

    /// Isolation levels for `transaction`.
    public enum IsolationLevel: Sendable {
        case readCommitted, repeatableRead, serializable

        var beginStatement: String {
            switch self {
            case .readCommitted: return "BEGIN ISOLATION LEVEL READ COMMITTED"
            case .repeatableRead: return "BEGIN ISOLATION LEVEL REPEATABLE READ"
            case .serializable: return "BEGIN ISOLATION LEVEL SERIALIZABLE"
            }
        }
    }

    /// Runs `body` between BEGIN and COMMIT. If `body` throws, or a
    /// statement inside it failed (even if `body` caught that error), the
    /// transaction is rolled back and an error thrown; nothing it did stays.
    ///
    /// Transactions do not nest: calling this inside another throws.
    /// Under `.serializable` expect `.conflict` errors and retry the whole
    /// call.
    @discardableResult
    public func transaction<T>(
        isolation: IsolationLevel = .readCommitted, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let status = PQtransactionStatus(handle)
        if status == PQTRANS_INTRANS || status == PQTRANS_INERROR {
            throw PostgresError(category: .other, message: "transaction() called inside a transaction; transactions do not nest")
        }
        try execute(isolation.beginStatement)
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        if PQtransactionStatus(handle) == PQTRANS_INERROR {
            // COMMIT here would silently turn into ROLLBACK: say so instead.
            rollbackQuietly()
            throw PostgresError(
                category: .other, sqlState: "25P02",
                message: "a statement in the transaction failed (its error was caught); the transaction was rolled back")
        }
        do {
            try execute("COMMIT")
        } catch {
            rollbackQuietly()
            throw error
        }
        return value
    }

    private func rollbackQuietly() {
        let status = PQtransactionStatus(handle)
        guard status == PQTRANS_INTRANS || status == PQTRANS_INERROR else { return }
        do {
            try execute("ROLLBACK")
        } catch {
            logger.warning("ROLLBACK failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Connection health

    /// Whether libpq considers the connection usable. This is the state
    /// after the last command: a server that went away since is noticed by
    /// the next command, which throws `.unavailable` and makes this false.
    public var isAlive: Bool {
        lock.lock()
        defer { lock.unlock() }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Closes the connection and opens a new one with the same parameters
    /// (`PQreset`), then prepares again the statements made with `prepare`.
    /// Session state (settings, temporary tables, LISTENs) is lost.
    public func reset() throws(PostgresError) {
        lock.lock()
        defer { lock.unlock() }
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(category: .unavailable, message: Self.trimmed(PQerrorMessage(handle)))
        }
        logger.debug("reconnected to PostgreSQL")
        for (name, sql) in preparedStatements.sorted(by: { $0.key < $1.key }) {
            _ = try consume(PQprepare(handle, name, sql, 0, nil))
        }
    }

    /// The server's version as libpq reports it (e.g. 150018 for 15.18).
    public var serverVersion: Int {
        lock.lock()
        defer { lock.unlock() }
        return Int(PQserverVersion(handle))
    }

    // MARK: - LISTEN / NOTIFY

    /// Notifications received on channels this session LISTENs to, without
    /// waiting: reads whatever input is pending (`PQconsumeInput`) and
    /// returns the queued notifications, oldest first. To wait for one,
    /// poll `socketDescriptor` for readability, then call this.
    public func notifications() throws(PostgresError) -> [PostgresNotification] {
        lock.lock()
        defer { lock.unlock() }
        guard PQconsumeInput(handle) == 1 else {
            throw PostgresError(category: .unavailable, message: Self.trimmed(PQerrorMessage(handle)))
        }
        var received: [PostgresNotification] = []
        while let notify = PQnotifies(handle) {
            let fields = notify.pointee
            received.append(PostgresNotification(
                channel: String(cString: fields.relname),
                payload: fields.extra.map { String(cString: $0) } ?? "",
                processID: fields.be_pid))
            PQfreemem(notify)
        }
        return received
    }

    /// Waits until a notification arrives or `timeout` passes, and returns
    /// what arrived (possibly nothing). Blocks the calling thread in poll(2)
    /// without holding the connection's lock. Throws `.unavailable` when the
    /// server closed the connection.
    public func waitForNotifications(timeout: Duration) throws(PostgresError) -> [PostgresNotification] {
        let pending = try notifications()
        guard pending.isEmpty else { return pending }
        let socket = socketDescriptor
        guard socket >= 0 else { throw PostgresError(category: .unavailable, message: "the connection is closed") }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int32(clamping: max(0, seconds * 1_000 + attoseconds / 1_000_000_000_000_000))
        if poll(&descriptor, 1, milliseconds) < 0 && errno != EINTR {
            throw PostgresError(category: .unavailable, message: "poll failed: errno \(errno)")
        }
        return try notifications()
    }

    /// `LISTEN channel`. A channel is an identifier, which cannot be a
    /// statement parameter: libpq quotes it (`PQescapeIdentifier`).
    public func listen(_ channel: String) throws(PostgresError) {
        try execute("LISTEN " + (try quotedIdentifier(channel)))
    }

    /// `UNLISTEN channel`.
    public func unlisten(_ channel: String) throws(PostgresError) {
        try execute("UNLISTEN " + (try quotedIdentifier(channel)))
    }

    /// Sends a notification (`pg_notify`, parameters sent separately). Inside
    /// a transaction it is delivered when the transaction commits.
    public func notify(_ channel: String, payload: String) throws(PostgresError) {
        try execute("SELECT pg_notify($1, $2)", [.text(channel), .text(payload)])
    }

    /// The server process serving this session (`PQbackendPID`): the
    /// `processID` of notifications it sends.
    public var backendProcessID: Int32 {
        lock.lock()
        defer { lock.unlock() }
        return PQbackendPID(handle)
    }

    private func quotedIdentifier(_ name: String) throws(PostgresError) -> String {
        lock.lock()
        defer { lock.unlock() }
        guard let quoted = PQescapeIdentifier(handle, name, name.utf8.count) else {
            throw PostgresError(category: .other, message: Self.trimmed(PQerrorMessage(handle)))
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    /// The connection's socket, for waiting on notifications with poll(2).
    /// -1 when the connection is closed.
    public var socketDescriptor: Int32 {
        lock.lock()
        defer { lock.unlock() }
        return PQsocket(handle)
    }

    // MARK: - libpq plumbing

    /// Turns parameters into what libpq wants — values, and for binary ones
    /// their lengths and formats (nil for both when all are text) — for the
    /// duration of `call`.
    func withParameters<R>(
        _ params: [PostgresValue?],
        _ call: (Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
    ) throws(PostgresError) -> R {
        var encoded: [PostgresValue.Encoding?] = []
        encoded.reserveCapacity(params.count)
        for (position, param) in params.enumerated() {
            let encoding = param?.encoding
            // A C string ends at NUL, and PostgreSQL text cannot hold one:
            // refuse rather than send a silently shortened value.
            if case .text(let text)? = encoding, containsNUL(text) {
                throw PostgresError(
                    category: .other, sqlState: "22021",
                    message: "parameter $\(position + 1) contains a NUL character, which PostgreSQL text cannot hold; use .bytes for binary data")
            }
            encoded.append(encoding)
        }
        var pointers: [UnsafePointer<CChar>?] = []
        pointers.reserveCapacity(encoded.count)
        var lengths: [Int32] = []
        lengths.reserveCapacity(encoded.count)
        return withWireValues(encoded[...], collecting: &pointers, &lengths) { values, lengths in
            // Lengths and formats only matter for binary values: when all
            // are text, libpq is told so by their absence.
            guard encoded.contains(where: { if case .binary? = $0 { true } else { false } }) else {
                return call(Int32(encoded.count), values, nil, nil)
            }
            let formats = encoded.map { (value) -> Int32 in if case .binary? = value { 1 } else { 0 } }
            return formats.withUnsafeBufferPointer { formats in
                call(Int32(encoded.count), values, lengths, formats.baseAddress)
            }
        }
    }

    /// Copies a finished result into a `PostgresResult`, or throws the error
    /// it carries. Frees the libpq result either way.
    func consume(_ result: OpaquePointer?) throws(PostgresError) -> PostgresResult {
        guard let result else {
            // libpq returns NULL only when it could not even send the
            // command (out of memory, or the connection is gone).
            throw PostgresError(
                category: PQstatus(handle) == CONNECTION_OK ? .other : .unavailable,
                message: Self.trimmed(PQerrorMessage(handle)))
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY else {
            throw error(from: result)
        }
        let columnCount = PQnfields(result)
        let rowCount = PQntuples(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        let values: [[String?]] = (0..<rowCount).map { row in
            (0..<columnCount).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : Self.text(result, row, column)
            }
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresResult(columns: columns, values: values, rowsAffected: affected)
    }

    /// A text-format value. Its length comes from libpq, so no strlen.
    private static func text(_ result: OpaquePointer, _ row: Int32, _ column: Int32) -> String {
        let length = Int(PQgetlength(result, row, column))
        guard let start = PQgetvalue(result, row, column) else { return "" }
        return start.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
            String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)
        }
    }

    func error(from result: OpaquePointer) -> PostgresError {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(result, code).map { String(cString: $0) }
        }
        let sqlState = field(clibpq_diag_sqlstate())
        let category: PostgresError.Category
        if PQstatus(handle) != CONNECTION_OK {
            // Whatever the server last said, the session is gone.
            category = .unavailable
        } else if let sqlState {
            category = PostgresError.category(forSQLState: sqlState)
        } else {
            category = .other
        }
        return PostgresError(
            category: category,
            sqlState: sqlState,
            message: field(clibpq_diag_message_primary()) ?? Self.trimmed(PQresultErrorMessage(result)),
            detail: field(clibpq_diag_message_detail()),
            hint: field(clibpq_diag_message_hint()),
            constraintName: field(clibpq_diag_constraint_name()))
    }

    static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown libpq error" }
        let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "unknown libpq error" : text
    }
}

/// A message sent with NOTIFY.
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    /// The server process that sent it.
    public var processID: Int32
}

/// Holds the logger the C notice callback writes to; the connection keeps
/// it alive as long as the `PGconn`.
private final class NoticeSink: Sendable {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }
}

/// Calls `body` with a C array of C strings (NULL entries for nil) that
/// live until `body` returns.
private func withOptionalCStringArray<R>(
    _ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R
) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// Whether `text` holds a NUL byte. memchr over the string's own storage when
/// it has one: a case body is kilobytes, and a byte-by-byte walk of every
/// parameter showed in profiles of the commit path.
private func containsNUL(_ text: String) -> Bool {
    let found = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
        guard let start = bytes.baseAddress, !bytes.isEmpty else { return false }
        return memchr(start, 0, bytes.count) != nil
    }
    return found ?? text.utf8.contains(0)
}

/// Calls `body` with a C array of the values' C forms (NULL for nil) and
/// their lengths, as `withOptionalCStringArray` does but without copying
/// them: each pointer is the string's own NUL-terminated UTF-8
/// (`withCString`) or the bytes' own storage, valid while the nested calls
/// last. Parameters are copied once less on every statement — a case body
/// is kilobytes. (A text value's length is not used by libpq.)
private func withWireValues<R>(
    _ values: ArraySlice<PostgresValue.Encoding?>, collecting pointers: inout [UnsafePointer<CChar>?],
    _ lengths: inout [Int32],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?) -> R
) -> R {
    guard let first = values.first else {
        return pointers.withUnsafeBufferPointer { pointers in
            lengths.withUnsafeBufferPointer { lengths in body(pointers.baseAddress, lengths.baseAddress) }
        }
    }
    switch first {
    case nil:
        pointers.append(nil)
        lengths.append(0)
        return withWireValues(values.dropFirst(), collecting: &pointers, &lengths, body)
    case .text(let text)?:
        return text.withCString { pointer in
            pointers.append(pointer)
            lengths.append(0)
            return withWireValues(values.dropFirst(), collecting: &pointers, &lengths, body)
        }
    case .binary(let bytes)?:
        return bytes.withUnsafeBufferPointer { buffer in
            // A binary encoding is never empty (an array's header alone is
            // 12 bytes), so its storage has an address.
            precondition(!bytes.isEmpty, "an empty binary parameter")
            pointers.append(UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self))
            lengths.append(Int32(buffer.count))
            return withWireValues(values.dropFirst(), collecting: &pointers, &lengths, body)
        }
    }
}

/// As `withOptionalCStringArray`, NULL-terminated, for libpq's keyword lists.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    withOptionalCStringArray(strings + [nil], body)
}
