import AuditLog
import CaseEngine
import PostgresClient

extension SQLStore {
    /// A PostgreSQL change on its way to a statement, usually encoded up
    /// front.
    ///
    /// Why encode early: the commit lane writes every batch of this instance
    /// one after the other, so whatever it computes is added to the
    /// turn-around of all of them. The change's parameters — its form for
    /// the single-change statement and its elements of the batch statement's
    /// arrays — are therefore built by the caller, on its own thread, before
    /// it is queued; the lane only splices bytes.
    ///
    /// The exception: while changes come one at a time and the lane polls
    /// without sleeping, its processor is idle and the caller's is on the
    /// critical path (it must be back in time for its client's next request).
    /// Then nothing is encoded up front, and the lane builds the single
    /// form it sends (`CommitLanes.laneIsSpinning`).
    ///
    /// And while the lane's batches hold several changes, a change will most
    /// likely meet others too: only its batch form is built up front
    /// (`CommitLanes.changesMeetInBatches`); should it go alone after all, the
    /// lane builds its single form.
    struct PendingCommit: Sendable {
        /// Which forms the caller builds up front.
        enum Encoding: Sendable {
            case both, batchOnly, none
        }

        let write: CaseWrite
        /// The case's numeric id (for ordering and for a new case's row).
        let number: Int64
        /// Built up front, or nil: then by whoever needs it (`single`).
        private let singleForm: SingleForm?
        /// Built up front, or nil: then by whoever needs it (`batch`).
        private let batchForm: BatchForm?
        /// Run once the change is durable, before its caller is resumed
        /// (see `Store.commit(_:whenDurable:)`).
        var whenDurable: (@Sendable () -> Void)?

        init(write: CaseWrite, number: Int64, encoding: Encoding = .both,
             whenDurable: (@Sendable () -> Void)? = nil)
        {
            self.whenDurable = whenDurable
            self.write = write
            self.number = number
            switch encoding {
            case .both, .batchOnly:
                let body = CaseCodec.bodyText(write.stored.case)
                let data = SQLStore.eventData(write)
                singleForm = encoding == .both ? SingleForm(write, body: body, data: data) : nil
                batchForm = BatchForm(write, number: number, body: body, data: data)
            case .none:
                singleForm = nil
                batchForm = nil
            }
        }

        /// What was built up front (tests).
        var encodedUpFront: (single: Bool, batch: Bool) { (singleForm != nil, batchForm != nil) }

        /// The parameters of the single-change statement.
        var single: SingleForm {
            singleForm ?? SingleForm(write, body: CaseCodec.bodyText(write.stored.case), data: SQLStore.eventData(write))
        }
        /// The elements of the batch statement's arrays.
        var batch: BatchForm {
            batchForm ?? BatchForm(write, number: number, body: CaseCodec.bodyText(write.stored.case),
                                   data: SQLStore.eventData(write))
        }
    }

    /// Each event's `data` as its canonical JSON text, which is what is
    /// stored and later hashed as stored.
    static func eventData(_ write: CaseWrite) -> [String] {
        write.events.map { jsonText(.object($0.data)) }
    }

    /// A change as the single-change statement takes it.
    struct SingleForm: Sendable {
        /// The case as stored in `cases.body`: canonical JSON text.
        let body: String
        /// The events as `json_to_recordset` objects, comma-separated.
        let eventRows: [UInt8]

        init(_ write: CaseWrite, body: String, data: [String]) {
            self.body = body
            var events = RecordsetJSON()
            for (e, data) in zip(write.events, data) { appendEvent(e, data: data, to: &events) }
            eventRows = events.rowsFragment
        }
    }

    /// A change as elements of the batch statement's arrays.
    struct BatchForm: Sendable {
        /// The case row's elements, one per column of `BatchArrays.caseColumns`.
        let caseElements: [UInt8]
        /// Each event's elements, one per column of `BatchArrays.eventColumns`.
        let eventElements: [UInt8]
        /// The idempotency record's elements (`BatchArrays.rememberedColumns`),
        /// when there is one.
        let rememberedElements: [UInt8]?

        init(_ write: CaseWrite, number: Int64, body: String, data: [String]) {
            let c = write.stored.case
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

            var elements: [UInt8] = []
            for (e, data) in zip(write.events, data) {
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
    /// JSON text (`eventData`).
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
