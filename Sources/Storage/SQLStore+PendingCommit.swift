import AuditLog
import CaseEngine

extension SQLStore {
    /// A PostgreSQL change on its way to a statement, encoded up front.
    ///
    /// Why encode here: the commit lane writes every batch of this instance
    /// one after the other, so whatever it computes is added to the turn-around
    /// of all of them. The change's JSON (its case body, its case and event
    /// rows for `json_to_recordset`) is therefore built by the caller, on its
    /// own thread, before it is queued; the lane only splices bytes.
    struct PendingCommit: Sendable {
        let write: CaseWrite
        /// The case's numeric id (for ordering and for a new case's row).
        let number: Int64
        /// The case as stored in `cases.body`: canonical JSON text.
        let body: String
        /// One `json_to_recordset` object for the batch statement's `$1`.
        let caseRow: [UInt8]
        /// The events as `json_to_recordset` objects, comma-separated, each
        /// with its `chain` (which the single-change statement ignores).
        let eventRows: [UInt8]
        /// The idempotency record as an object for `$3`, when there is one.
        let rememberedRow: [UInt8]?
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

            var row = RecordsetJSON()
            row.beginRow()
            row.field("id", c.id)
            row.field("title", c.title)
            row.field("state", c.state)
            row.field("stage", c.stage)
            row.field("version", c.version)
            row.field("head", c.head)
            row.field("updated", c.updated.rfc3339)
            row.field("on_hold", c.hold != nil)
            row.field("final", c.isFinal)
            row.field("overdue_at", write.stored.overdueAt?.microseconds)
            row.field("alarm_at", write.stored.alarmAt?.microseconds)
            row.field("body", json: body)
            row.field("expected", write.expectedVersion)
            row.field("num", number)
            row.field("template", c.template)
            row.field("template_version", Int64(c.templateVersion))
            row.field("opened", c.opened.rfc3339)
            row.endRow()
            caseRow = row.rowsFragment

            var events = RecordsetJSON()
            for e in write.events { appendEvent(e, to: &events) }
            eventRows = events.rowsFragment

            rememberedRow = write.idempotency.map { idem in
                var row = RecordsetJSON()
                row.beginRow()
                row.field("case_id", c.id)
                row.field("user_name", idem.user)
                row.field("key", idem.key)
                row.field("digest", idem.digest)
                row.field("reply", idem.reply)
                row.field("expires", idem.expires.microseconds)
                row.endRow()
                return row.rowsFragment
            }
        }
    }

    /// One `audit_events` row for `json_to_recordset`; `data` as its canonical
    /// JSON text, which is what is stored and later hashed as stored.
    static func appendEvent(_ e: AuditEvent, to rows: inout RecordsetJSON) {
        rows.beginRow()
        rows.field("chain", e.chain)
        rows.field("seq", e.seq)
        rows.field("at", e.at.rfc3339)
        rows.field("actor", e.actor)
        rows.field("role", e.role)
        rows.field("action", e.action)
        rows.field("data", json: jsonText(.object(e.data)))
        rows.field("prev", e.prev)
        rows.field("hash", e.hash)
        rows.endRow()
    }
}
