import AuditLog
import CaseEngine

extension SQLStore {
    /// Case ids: `C-` and at least six digits. Ordering uses the number, so
    /// `C-1000000` sorts after `C-999999`.
    static func caseID(number: Int64) -> String {
        let digits = String(number)
        return "C-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    static func caseNumber(_ id: String) -> Int64? {
        guard id.hasPrefix("C-"), let n = Int64(id.dropFirst(2)), n > 0 else { return nil }
        return n
    }

    public func allocateCaseID() async throws(StoreError) -> String {
        try await pool.withConnection { connection in
            let sql = connection.dialect == .postgres
                ? "SELECT nextval('case_numbers')"
                : "UPDATE counters SET value = value + 1 WHERE name = 'case' RETURNING value"
            guard let row = try connection.query(sql, []).first else {
                throw StoreError(.corrupt, "the case counter is missing; run migrations")
            }
            return Self.caseID(number: try row.int(0))
        }
    }

    static let caseColumns = "body, overdue_at, alarm_at"

    static func storedCase(from row: SQLRow) throws(StoreError) -> StoredCase {
        StoredCase(
            case: try CaseCodec.decode(try parseJSON(try row.string(0))),
            overdueAt: try row.optionalInt(1).map(Timestamp.init(microseconds:)),
            alarmAt: try row.optionalInt(2).map(Timestamp.init(microseconds:)))
    }

    public func loadCase(id: String) async throws(StoreError) -> StoredCase? {
        try await pool.withConnection { connection in
            try connection.query("SELECT \(Self.caseColumns) FROM cases WHERE id = $1", [.text(id)])
                .first.map { row throws(StoreError) in try Self.storedCase(from: row) }
        }
    }

    public func listCases(_ query: CaseQuery) async throws(StoreError) -> [StoredCaseSummary] {
        // Every filter is a parameter; the SQL text only varies by which
        // filters are present, never by their values.
        var conditions: [String] = []
        var params: [SQLValue] = []
        func add(_ condition: (String) -> String, _ value: SQLValue) {
            params.append(value)
            conditions.append(condition("$\(params.count)"))
        }
        if let template = query.template { add({ "template = \($0)" }, .text(template)) }
        if let state = query.state { add({ "state = \($0)" }, .text(state)) }
        if let stage = query.stage { add({ "stage = \($0)" }, .text(stage)) }
        // hold= is written as a fixed condition, not a parameter, so that the
        // planner can match it to the partial index cases_on_hold; no client
        // text reaches the SQL either way.
        if let hold = query.hold { conditions.append(hold ? "on_hold" : "NOT on_hold") }
        if let overdue = query.overdue {
            add({ overdue ? "overdue_at IS NOT NULL AND overdue_at <= \($0)" : "(overdue_at IS NULL OR overdue_at > \($0))" },
                .int(query.now.microseconds))
        }
        if let after = query.after {
            guard let number = Self.caseNumber(after) else {
                throw StoreError(.notFound, "after=\(after) is not a case id")
            }
            add({ "num > \($0)" }, .int(number))
        }
        params.append(.int(Int64(max(0, query.limit))))
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT body, overdue_at FROM cases \(whereClause) ORDER BY num LIMIT $\(params.count)"
        return try await pool.withConnection { [params] connection in
            try connection.query(sql, params).map { row throws(StoreError) in
                StoredCaseSummary(
                    summary: try CaseCodec.decodeSummary(try row.string(0)),
                    overdueAt: try row.optionalInt(1).map(Timestamp.init(microseconds:)))
            }
        }
    }

    public func casesDue(at now: Timestamp, limit: Int) async throws(StoreError) -> [StoredCase] {
        try await pool.withConnection { connection in
            try connection.query(
                "SELECT \(Self.caseColumns) FROM cases WHERE alarm_at <= $1 ORDER BY alarm_at LIMIT $2",
                [.int(now.microseconds), .int(Int64(limit))]
            ).map { row throws(StoreError) in try Self.storedCase(from: row) }
        }
    }

    public func idempotency(user: String, key: String, now: Timestamp) async throws(StoreError) -> IdempotencyRecord? {
        try await pool.withConnection { connection in
            guard let row = try connection.query(
                "SELECT digest, reply, expires FROM idempotency WHERE user_name = $1 AND key = $2",
                [.text(user), .text(key)]).first
            else { return nil }
            let expires = Timestamp(microseconds: try row.int(2))
            if expires <= now {
                // Expired: forget it, so the key can be used afresh.
                try connection.execute(
                    "DELETE FROM idempotency WHERE user_name = $1 AND key = $2 AND expires <= $3",
                    [.text(user), .text(key), .int(now.microseconds)])
                return nil
            }
            return IdempotencyRecord(user: user, key: key, digest: try row.string(0), reply: try row.string(1),
                                     expires: expires)
        }
    }

    // MARK: - Commit

    public func commit(_ write: CaseWrite, whenDurable: (@Sendable () -> Void)?) async throws(StoreError) {
        guard let first = write.events.first, let last = write.events.last else {
            throw StoreError(.failure, "a case change without events")
        }
        let c = write.stored.case
        guard first.chain == c.id, first.seq == write.expectedVersion + 1, last.seq == c.version, last.hash == c.head
        else { throw StoreError(.failure, "events and projection of \(c.id) do not line up") }
        guard let number = Self.caseNumber(c.id) else { throw StoreError(.failure, "\(c.id) is not a case id") }
        if dialect == .postgres {
            // Encoded here, off the lane — unless the lane idles polling
            // for the next lone change, which it then encodes itself.
            let pending = PendingCommit(write: write, number: number,
                                        encoding: groupCommit?.encodingUpFront ?? .both, whenDurable: whenDurable)
            if let groupCommit {
                // A lone change's whenDurable ran on the lane already.
                if try await groupCommit.commit(pending) { return }
            } else {
                try await pool.withConnection { connection in
                    let (sql, params) = Self.statement(writing: [pending])
                    let answer = Result { () throws(StoreError) in try connection.query(sql, params) }
                    try Self.singleOutcome(write, answer: answer).get()
                }
            }
        } else {
            try await pool.withConnection { connection in
                try Self.commitInTransaction(write, number: number, on: connection)
            }
        }
        whenDurable?()
    }

    /// `body` is the case's canonical JSON, when the caller has it already.
    static func projectionParams(_ write: CaseWrite, body: String? = nil) -> [SQLValue] {
        let c = write.stored.case
        return [
            .text(c.id), .text(c.title), .text(c.state), .text(c.stage), .int(c.version), .text(c.head),
            .text(c.updated.rfc3339), .bool(c.hold != nil), .bool(c.isFinal),
            .optional(write.stored.overdueAt?.microseconds), .optional(write.stored.alarmAt?.microseconds),
            .text(body ?? CaseCodec.bodyText(c)),
        ]
    }

    static let updateProjection = """
        UPDATE cases SET title = $2, state = $3, stage = $4, version = $5, head = $6, updated = $7,
            on_hold = $8, final = $9, overdue_at = $10, alarm_at = $11, body = $12
        WHERE id = $1 AND version = $13
        RETURNING id
        """

    static let insertProjection = """
        INSERT INTO cases (id, title, state, stage, version, head, updated, on_hold, final, overdue_at, alarm_at,
                           body, num, template, template_version, opened)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
        ON CONFLICT (id) DO NOTHING
        RETURNING id
        """

    static func openParams(_ write: CaseWrite, number: Int64, body: String? = nil) -> [SQLValue] {
        let c = write.stored.case
        return projectionParams(write, body: body)
            + [.int(number), .text(c.template), .int(Int64(c.templateVersion)), .text(c.opened.rfc3339)]
    }

    /// SQLite (and the reference for PostgreSQL): events first, then the
    /// projection guarded by the expected version, then the idempotency
    /// record — one `BEGIN IMMEDIATE` transaction.
    static func commitInTransaction(_ write: CaseWrite, number: Int64, on connection: any SQLConnection) throws {
        try connection.transaction {
            for event in write.events { try insert(event, on: connection) }
            let rows = write.expectedVersion == 0
                ? try connection.query(insertProjection, openParams(write, number: number))
                : try connection.query(updateProjection, projectionParams(write) + [.int(write.expectedVersion)])
            guard !rows.isEmpty else { throw conflict(write) }
            if let idem = write.idempotency { try insert(idem, on: connection) }
        }
    }

    static func conflict(_ write: CaseWrite) -> StoreError {
        write.expectedVersion == 0
            ? StoreError(.conflict, "case \(write.stored.case.id) exists already")
            : StoreError(.conflict, "case \(write.stored.case.id) is no longer at version \(write.expectedVersion)")
    }

    static func insert(_ idem: IdempotencyRecord, on connection: any SQLConnection) throws(StoreError) {
        do {
            try connection.execute(
                "INSERT INTO idempotency (user_name, key, digest, reply, expires) VALUES ($1, $2, $3, $4, $5)",
                [.text(idem.user), .text(idem.key), .text(idem.digest), .text(idem.reply), .int(idem.expires.microseconds)])
        } catch {
            guard error.code == .constraint || error.code == .conflict else { throw error }
            throw StoreError(.conflict, "idempotency key \(idem.key) was used concurrently")
        }
    }
}
