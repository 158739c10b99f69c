import CLibPQ

/// libpq's asynchronous calls, for a caller that waits on the socket itself.
///
/// The commit lanes use them (Storage's `CommitLanes`): a statement is sent
/// without waiting — possibly from an event loop, since nothing here blocks —
/// and its result is read later, on another thread that has poll(2)ed
/// `socketDescriptor` for readability meanwhile.
///
/// In non-blocking mode libpq's other calls (`execute`, `executePrepared`,
/// `transaction`) still wait for their answer as always: libpq's `PQexec`
/// family ignores the mode. Only one statement may be outstanding at a time,
/// and none of the blocking calls may be made while one is.
extension PostgresConnection {
    /// Switches libpq's non-blocking mode (`PQsetnonblocking`), in which
    /// `sendPrepared` and `flush` never wait for the socket.
    public func setNonBlocking(_ on: Bool) throws(PostgresError) {
        lock.lock()
        defer { lock.unlock() }
        guard PQsetnonblocking(handle, on ? 1 : 0) == 0 else {
            throw PostgresError(category: .unavailable, message: Self.trimmed(PQerrorMessage(handle)))
        }
    }

    /// Sends a statement made with `prepare` (`PQsendQueryPrepared`) and
    /// returns at once. True when all of it reached the socket; false when
    /// part is still buffered: then poll the socket for writability and call
    /// `flush` until it returns true. Its results come from `readResults`.
    public func sendPrepared(name: String, params: [PostgresValue?]) throws(PostgresError) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        arrivedResults = []
        let sent = try withParameters(params) { count, values, lengths, formats in
            PQsendQueryPrepared(handle, name, count, values, lengths, formats, 0)
        }
        guard sent == 1 else { throw sendFailure() }
        return try flushLocked()
    }

    /// Writes more of a statement the socket did not take at once; true when
    /// nothing is left to send.
    public func flush() throws(PostgresError) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return try flushLocked()
    }

    /// Reads whatever has arrived (`PQconsumeInput`) without waiting. Returns
    /// the statement's results — each a result or the error the server sent —
    /// once the last has arrived, and nil while more is to come (poll the
    /// socket for readability and call again). Throws `.unavailable` when the
    /// connection is lost.
    public func readResults() throws(PostgresError) -> [Result<PostgresResult, PostgresError>]? {
        lock.lock()
        defer { lock.unlock() }
        guard PQconsumeInput(handle) == 1 else { throw sendFailure() }
        while PQisBusy(handle) == 0 {
            guard let result = PQgetResult(handle) else {
                defer { arrivedResults = [] }
                return arrivedResults
            }
            arrivedResults.append(Result { () throws(PostgresError) in try consume(result) })
        }
        return nil
    }

    private func flushLocked() throws(PostgresError) -> Bool {
        switch PQflush(handle) {
        case 0: return true
        case 1: return false
        default: throw sendFailure()
        }
    }

    /// The error after a failed send or read: the connection is gone, or
    /// libpq refused the call (a statement is already outstanding, say).
    private func sendFailure() -> PostgresError {
        PostgresError(category: PQstatus(handle) == CONNECTION_OK ? .other : .unavailable,
                      message: Self.trimmed(PQerrorMessage(handle)))
    }
}
