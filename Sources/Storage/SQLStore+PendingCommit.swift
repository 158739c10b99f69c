import AuditLog
import CaseEngine
import PostgresClient

extension SQLStore {
    /// A PostgreSQL change on its way to a statement, encoded up front.
    ///
    /// Why encode here: the commit lane writes every batch of this instance
    /// one after the other, so whatever it computes is added to the turn-around
    /// of all of them. The change's parameters (its case body, its event rows
    /// for `json_to_recordset`, its elements of the batch statement's arrays)
    /// are therefore built by the caller, on its own thread, before it is
    /// queued; the lane only splices bytes.
    struct PendingCommit: Sendable {
        let write: CaseWrite
        /// The case's numeric id (for ordering and for a new case's row).
        let number: Int64
        /// The case as stored in `cases.body`: canonical JSON text.
        let body: String
        /// The events as `json_to_recordset` objects, comma-separated, for
        /// the single-change statement.
        let eventRows: [UInt8]
        /// The case row's elements of the batch statement's arrays, one per
        /// column of `BatchArrays.caseColumns`.
        let caseElements: [UInt8]
        /// Each event's elements, one per column of `BatchArrays.eventColumns`.
        let eventElements: [UInt8]
        /// The idempotency record's elements (`BatchArrays.rememberedColumns`),
        /// when there is one.
        let rememberedElements: [UInt8]?
        /// Run once the change is durable, before its caller is resumed
        /// (see `Store.commit(_:whenDurable:)`).
        var whenDurable: (@Sendable () -> Void)?

        init(write: CaseWrite, number: Int64, whenDurable: (@Sendable () -> Void)? = nil) {
            self.whenDurable = whenDurable
            self.write = write
            self.number = number
            let c = write.stored.case
            let body = CaseCodec.bodyText(c)
            self.body = body

            // In the order of `BatchArrays.caseColumns`.
            var row: [UInt8] = []
            row.reserveCapacity(body.utf8.count + 300)
            PostgresArray.encode(c.id, into: &row)
            PostgresArray.encode(c.title, into: &row)
            PostgresArray.encode(c.state, into: &row)
            PostgresArray.encode(c.stage, into: &row)
            PostgresArray.encode(c.version as Int64?, into: &row)
            PostgresArray.encode(c.head, into: &row)
            PostgresArray.encode(c.updated.rfc3339, into: &row)
            PostgresArray.encode(c.hold != nil, into: &row)
            PostgresArray.encode(c.isFinal, into: &row)
            PostgresArray.encode(write.stored.overdueAt?.microseconds, into: &row)
            PostgresArray.encode(write.stored.alarmAt?.microseconds, into: &row)
            PostgresArray.encode(body, into: &row)
            PostgresArray.encode(write.expectedVersion as Int64?, into: &row)
            PostgresArray.encode(number as Int64?, into: &row)
            PostgresArray.encode(c.template, into: &row)
            PostgresArray.encode(Int64(c.templateVersion) as Int64?, into: &row)
            PostgresArray.encode(c.opened.rfc3339, into: &row)
            caseElements = row

            var events = RecordsetJSON()
            var elements: [UInt8] = []
            for e in write.events {
                let data = jsonText(.object(e.data))
                appendEvent(e, data: data, to: &events)
                // In the order of `BatchArrays.eventColumns`.
                PostgresArray.encode(e.chain, into: &elements)
                PostgresArray.encode(e.seq as Int64?, into: &elements)
                PostgresArray.encode(e.at.rfc3339, into: &elements)
                PostgresArray.encode(e.actor, into: &elements)
                PostgresArray.encode(e.role, into: &elements)
                PostgresArray.encode(e.action, into: &elements)
                PostgresArray.encode(data, into: &elements)
                PostgresArray.encode(e.prev, into: &elements)
                PostgresArray.encode(e.hash, into: &elements)
            }
            eventRows = events.rowsFragment
            eventElements = elements

            rememberedElements = write.idempotency.map { idem in
                // In the order of `BatchArrays.rememberedColumns`.
                var row: [UInt8] = []
                PostgresArray.encode(c.id, into: &row)
                PostgresArray.encode(idem.user, into: &row)
                PostgresArray.encode(idem.key, into: &row)
                PostgresArray.encode(idem.digest, into: &row)
                PostgresArray.encode(idem.reply, into: &row)
                PostgresArray.encode(idem.expires.microseconds as Int64?, into: &row)
                return row
            }
        }
    }

    /// One `audit_events` row for `json_to_recordset`; `data` as its canonical
    /// JSON text, which is what is stored and later hashed as stored.
    static func appendEvent(_ e: AuditEvent, data: String, to rows: inout RecordsetJSON) {
        rows.beginRow()
        rows.field("chain", e.chain)
        rows.field("seq", e.seq)
        rows.field("at", e.at.rfc3339)
        rows.field("actor", e.actor)
        rows.field("role", e.role)
        rows.field("action", e.action)
        rows.field("data", json: data)
        rows.field("prev", e.prev)
        rows.field("hash", e.hash)
        rows.endRow()
    }
}
