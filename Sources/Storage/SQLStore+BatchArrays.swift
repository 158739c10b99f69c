import PostgresClient

extension SQLStore {
    /// The parameters of `batchStatement`: one array per column — the case
    /// rows' 17, the events' 9, the idempotency records' 6 — in binary
    /// format, so that PostgreSQL copies the values instead of parsing them
    /// (see `PostgresArray`). Each change's elements were encoded when it was
    /// queued (`PendingCommit.batch`); here they are only split among the arrays.
    struct BatchArrays {
        static let caseColumns: [PostgresArray.ElementType] = [
            .text /* id */, .text /* title */, .text /* state */, .text /* stage */, .int8 /* version */,
            .text /* head */, .text /* updated */, .bool /* on_hold */, .bool /* final */, .int8 /* overdue_at */,
            .int8 /* alarm_at */, .text /* body */, .int8 /* expected */, .int8 /* num */, .text /* template */,
            .int8 /* template_version */, .text /* opened */,
        ]
        static let eventColumns: [PostgresArray.ElementType] = [
            .text /* chain */, .int8 /* seq */, .text /* at */, .text /* actor */, .text /* role */,
            .text /* action */, .text /* data */, .text /* prev */, .text /* hash */,
        ]
        static let rememberedColumns: [PostgresArray.ElementType] = [
            .text /* case_id */, .text /* user_name */, .text /* key */, .text /* digest */, .text /* reply */,
            .int8 /* expires */,
        ]

        private var cases = caseColumns.map(PostgresArray.init(of:))
        private var events = eventColumns.map(PostgresArray.init(of:))
        private var remembered = rememberedColumns.map(PostgresArray.init(of:))

        mutating func append(_ pending: PendingCommit) {
            let form = pending.batch
            Self.split(form.caseElements, into: &cases)
            Self.split(form.eventElements, into: &events)
            if let row = form.rememberedElements { Self.split(row, into: &remembered) }
        }

        /// `$1…$17` the cases, `$18…$26` the events, `$27…$32` the records.
        var parameters: [SQLValue] { (cases + events + remembered).map(SQLValue.array) }

        /// Deals the elements of `rows` (whole rows, back to back) out to the
        /// arrays, one to each in turn.
        private static func split(_ rows: [UInt8], into arrays: inout [PostgresArray]) {
            var offset = 0
            while offset < rows.count {
                for column in arrays.indices { arrays[column].appendEncoded(from: rows, at: &offset) }
            }
        }
    }
}
