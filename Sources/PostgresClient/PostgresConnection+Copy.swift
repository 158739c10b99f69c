import CLibPQ

extension PostgresConnection {
    /// Runs `COPY … FROM STDIN` (text format) and streams the rows `body`
    /// writes into it: the fast way to load many rows, one round trip per
    /// buffer instead of one per row. Returns the number of rows the server
    /// reports copied.
    ///
    /// If `body` throws, the COPY is ended with an error so the server
    /// discards every row of it, and `body`'s error is rethrown. The
    /// statement is fixed SQL text; the data travels separately, escaped.
    ///
    ///     try conn.copyIn("COPY notes (id, body) FROM STDIN") { copy in
    ///         try copy.row(["1", "hello"])
    ///     }
    @discardableResult
    public func copyIn(_ sql: String, _ body: (PostgresCopyIn) throws -> Void) throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        guard let start = PQexec(handle, sql) else {
            throw PostgresError(category: .unavailable, message: Self.trimmed(PQerrorMessage(handle)))
        }
        let status = PQresultStatus(start)
        guard status == PGRES_COPY_IN else {
            defer { PQclear(start) }
            if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK {
                throw PostgresError(category: .other, message: "copyIn needs a COPY … FROM STDIN statement")
            }
            throw error(from: start)
        }
        PQclear(start)
        let copy = PostgresCopyIn(handle: handle)
        var failure: (any Error)?
        do {
            try body(copy)
            try copy.flush()
        } catch {
            failure = error
        }
        // Ending with an error message makes the server abort the COPY.
        if PQputCopyEnd(handle, failure == nil ? nil : "the client abandoned the COPY") != 1 {
            failure = failure ?? PostgresError(category: .unavailable, message: Self.trimmed(PQerrorMessage(handle)))
        }
        var serverError: PostgresError?
        var copied = 0
        while let result = PQgetResult(handle) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                copied = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if serverError == nil {
                serverError = error(from: result)
            }
            PQclear(result)
        }
        if let failure { throw failure }
        if let serverError { throw serverError }
        return copied
    }
}

/// The open data stream of a `copyIn`: rows are escaped into a buffer and
/// sent with `PQputCopyData` whenever it fills. Only valid inside the
/// `copyIn` body that received it.
public final class PostgresCopyIn {
    private let handle: OpaquePointer
    private var buffer: [UInt8] = []
    /// Sent in pieces of about this size: large enough to amortize the call,
    /// small enough to stay in cache.
    private static let flushSize = 256 * 1024

    init(handle: OpaquePointer) {
        self.handle = handle
        buffer.reserveCapacity(Self.flushSize + 4096)
    }

    /// Appends one row; nil is SQL NULL. Values are escaped for COPY's text
    /// format (backslash, tab, newline, carriage return), so any text except
    /// one holding NUL arrives unchanged.
    public func row(_ fields: [String?]) throws(PostgresError) {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(0x09) }
            guard let field else {
                buffer.append(0x5C); buffer.append(0x4E)  // \N
                continue
            }
            for byte in field.utf8 {
                switch byte {
                case 0x5C: buffer.append(0x5C); buffer.append(0x5C)
                case 0x09: buffer.append(0x5C); buffer.append(0x74)
                case 0x0A: buffer.append(0x5C); buffer.append(0x6E)
                case 0x0D: buffer.append(0x5C); buffer.append(0x72)
                case 0x00:
                    throw PostgresError(
                        category: .other, sqlState: "22021",
                        message: "column \(index + 1) contains a NUL character, which PostgreSQL text cannot hold")
                default: buffer.append(byte)
                }
            }
        }
        buffer.append(0x0A)
        if buffer.count >= Self.flushSize { try flush() }
    }

    func flush() throws(PostgresError) {
        guard !buffer.isEmpty else { return }
        let sent = buffer.withUnsafeBufferPointer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                PQputCopyData(handle, $0, Int32(bytes.count))
            }
        }
        guard sent == 1 else {
            throw PostgresError(category: .unavailable, message: PostgresConnection.trimmed(PQerrorMessage(handle)))
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
