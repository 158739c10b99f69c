import AuditLog

extension SQLStore {
    /// Appends one event to the `system` chain inside the caller's transaction.
    ///
    /// The chain's head row is locked (PostgreSQL `FOR UPDATE`; SQLite's
    /// `BEGIN IMMEDIATE` already serializes writers), so concurrent system
    /// events queue up instead of colliding. Time never runs backwards in the
    /// chain: an event is stamped no earlier than the head.
    static func appendSystemEvent(_ record: AuditRecord, on connection: any SQLConnection) throws(StoreError) -> AuditEvent {
        let lock = connection.dialect == .postgres ? " FOR UPDATE" : ""
        guard let head = try connection.query(
            "SELECT seq, hash, at FROM chain_heads WHERE chain = $1" + lock, [.text(AuditEvent.systemChain)]).first
        else { throw StoreError(.corrupt, "the system chain has no head row; run migrations") }
        var record = record
        let headAt = try head.string(2)
        if !headAt.isEmpty, let last = try? Timestamp(rfc3339: headAt), last > record.at { record.at = last }
        let event = AuditEvent.seal(record, chain: AuditEvent.systemChain, seq: try head.int(0) + 1, prev: try head.string(1))
        try insert(event, on: connection)
        try connection.execute(
            "UPDATE chain_heads SET seq = $2, hash = $3, at = $4 WHERE chain = $1",
            [.text(event.chain), .int(event.seq), .text(event.hash), .text(event.at.rfc3339)])
        return event
    }

    static func insert(_ event: AuditEvent, on connection: any SQLConnection) throws(StoreError) {
        try connection.execute(
            """
            INSERT INTO audit_events (chain, seq, at, actor, role, action, data, prev, hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """,
            [.text(event.chain), .int(event.seq), .text(event.at.rfc3339), .text(event.actor), .text(event.role),
             .text(event.action), .text(jsonText(.object(event.data))), .text(event.prev), .text(event.hash)])
    }

    static let eventColumns = "chain, seq, at, actor, role, action, data, prev, hash"

    /// A row of `eventColumns` as it is stored, for verification.
    static func storedEvent(from row: SQLRow) throws(StoreError) -> StoredEvent {
        StoredEvent(
            chain: try row.string(0), seq: try row.int(1), at: try row.string(2), actor: try row.string(3),
            role: try row.string(4), action: try row.string(5), data: try row.string(6), prev: try row.string(7),
            hash: try row.string(8))
    }

    static func event(from row: SQLRow) throws(StoreError) -> AuditEvent {
        let chain = try row.string(0)
        let seq = try row.int(1)
        let at: Timestamp
        do { at = try Timestamp(rfc3339: try row.string(2)) } catch {
            throw StoreError(.corrupt, "event \(chain)#\(seq): bad time: \(error)")
        }
        let data: [String: JSONValue]
        do {
            guard let object = try JSONValue.parse(Array(try row.string(6).utf8)).objectValue else {
                throw StoreError(.corrupt, "event \(chain)#\(seq): data is not a JSON object")
            }
            data = object
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.corrupt, "event \(chain)#\(seq): data: \(error)")
        }
        return AuditEvent(
            chain: chain, seq: seq, at: at, actor: try row.string(3), role: try row.string(4),
            action: try row.string(5), data: data, prev: try row.string(7), hash: try row.string(8))
    }
}

/// Canonical JSON text: the same bytes that are hashed, so what is stored is what was signed.
func jsonText(_ value: JSONValue) -> String {
    String(decoding: value.canonicalJSON(), as: UTF8.self)
}

func parseJSON(_ text: String) throws(StoreError) -> JSONValue {
    do { return try JSONValue.parse(Array(text.utf8)) } catch {
        throw StoreError(.corrupt, "stored JSON does not parse: \(error)")
    }
}
