import AuditLog
import CaseEngine

// Writing changes on PostgreSQL: one change in one statement, several changes
// (a group-commit batch, see `CommitLanes`) in ONE statement too — one
// transaction, one WAL flush — taking its rows as arrays (`BatchArrays`).
// Each change of a batch is still atomic and conflict-checked on its own: its
// projection update carries its own version guard, and only changes whose
// guard held get their events and idempotency record inserted. A change that
// loses its guard is answered `.conflict`; the others in the batch commit.
//
// What cannot be decided per change inside one statement — a clash on an
// idempotency key, a trigger refusing a row, a deadlock with another batch —
// aborts the whole statement. Then nothing of it was written, and every change
// of the batch is committed again alone, so each gets the answer it would have
// had without batching.
//
// The pieces are apart (plan, statement, outcomes, the rest) because a commit
// lane sends the statement without waiting and reads its answer later, on
// another thread; `commitBatch` puts them together for a caller that waits.
extension SQLStore {
    typealias Outcome = Result<Void, StoreError>

    /// Which changes of a batch share the statement: the first change of each
    /// case and of each idempotency key (a statement can apply only one change
    /// per row). The others follow alone, after it; against the new version
    /// they conflict, as they must.
    struct BatchPlan: Equatable {
        var together: [Int]
        var alone: [Int]
    }

    static func plan(_ batch: [PendingCommit]) -> BatchPlan {
        var plan = BatchPlan(together: [], alone: [])
        var cases = Set<String>()
        var keys = Set<[String]>()
        for (index, pending) in batch.enumerated() {
            let idem = pending.write.idempotency.map { [$0.user, $0.key] }
            if cases.insert(pending.write.stored.case.id).inserted, idem.map({ keys.insert($0).inserted }) ?? true {
                plan.together.append(index)
            } else {
                plan.alone.append(index)
            }
        }
        return plan
    }

    /// Every statement text `statement(writing:)` may answer: a commit lane
    /// prepares them all before it sends any.
    static let commitStatements = [singleUpdateStatement, singleOpenStatement, batchStatement]

    /// The statement that writes `changes` at once, with its parameters: the
    /// single-change statement for one change (the shape pgbench runs in
    /// Benchmarks/advance.pgbench), the batch statement for several.
    static func statement(writing changes: [PendingCommit]) -> (sql: String, params: [SQLValue]) {
        precondition(!changes.isEmpty)
        if changes.count == 1 { return singleStatement(changes[0]) }
        // Rows in case-number order, so two batches touching the same cases
        // lock them in the same order (a deadlock is still survived: see above).
        var arrays = BatchArrays()
        for pending in changes.sorted(by: { $0.number < $1.number }) { arrays.append(pending) }
        return (batchStatement, arrays.parameters)
    }

    /// Each change's outcome from what `statement(writing: changes)` was
    /// answered; nil when the statement failed as a whole for a reason that
    /// may be one change's only: then each is to be committed alone.
    static func outcomes(of changes: [PendingCommit], answer: Result<[SQLRow], StoreError>) -> [Outcome]? {
        if changes.count == 1 { return [singleOutcome(changes[0].write, answer: answer)] }
        let rows: [SQLRow]
        switch answer {
        case .success(let answered):
            rows = answered
        case .failure(let error) where error.code == .unavailable:
            // The connection is gone (and the batch with it, or it committed
            // unseen): nobody can be told more than that.
            return changes.map { _ in .failure(error) }
        case .failure:
            return nil
        }
        var written: [String: Int64] = [:]
        do throws(StoreError) {
            for row in rows { written[try row.string(0)] = try row.int(1) }
        } catch {
            return changes.map { _ in .failure(error) }
        }
        return changes.map { pending in
            let write = pending.write
            switch written[write.stored.case.id] {
            case nil: return .failure(conflict(write))
            case Int64(write.events.count): return .success(())
            default: return .failure(StoreError(.failure, "case \(write.stored.case.id): events were not all written"))
            }
        }
    }

    /// Commits a batch on one connection, waiting for each statement; one
    /// outcome per change, in order.
    static func commitBatch(_ batch: [PendingCommit], on connection: any SQLConnection) -> [Outcome] {
        var plan = plan(batch)
        let together = plan.together.map { batch[$0] }
        let (sql, params) = statement(writing: together)
        let answer = Result { () throws(StoreError) in try connection.query(sql, params) }
        return finishBatch(batch, plan: &plan, together: outcomes(of: together, answer: answer), on: connection)
    }

    /// The rest of a batch once its shared statement was answered: the
    /// outcomes of `plan.together` (nil: commit them alone too), then the
    /// changes of `plan.alone`, one statement each, waiting for each.
    static func finishBatch(_ batch: [PendingCommit], plan: inout BatchPlan, together decided: [Outcome]?,
                            on connection: any SQLConnection) -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: batch.count)
        if let decided {
            for (index, outcome) in zip(plan.together, decided) { outcomes[index] = outcome }
        } else {
            plan.alone = (plan.together + plan.alone).sorted()
        }
        // Once the connection is gone, the rest is not tried: it would fail alike.
        var lost = outcomes.lazy.compactMap { $0?.unavailableError }.first
        for index in plan.alone {
            if let lost {
                outcomes[index] = .failure(lost)
                continue
            }
            let (sql, params) = singleStatement(batch[index])
            let answer = Result { () throws(StoreError) in try connection.query(sql, params) }
            let outcome = singleOutcome(batch[index].write, answer: answer)
            outcomes[index] = outcome
            lost = outcome.unavailableError
        }
        return outcomes.map { $0! }
    }

    // MARK: - One change

    /// The whole change in ONE statement — one round trip, one implicit
    /// transaction. The events arrive as one JSON parameter; if the version
    /// guard matches no row, nothing is inserted either, and a clash on the
    /// audit primary key or the idempotency key aborts it all.
    static func singleStatement(_ pending: PendingCommit) -> (sql: String, params: [SQLValue]) {
        let write = pending.write
        let form = pending.single
        let opening = write.expectedVersion == 0
        var params = opening
            ? openParams(write, number: pending.number, body: form.body)
            : projectionParams(write, body: form.body) + [.int(write.expectedVersion)]
        var events = RecordsetJSON()
        events.append(rows: form.eventRows)
        params.append(.text(events.text))
        let idem = write.idempotency
        params += [.optional(idem?.user), .optional(idem?.key), .optional(idem?.digest), .optional(idem?.reply),
                   .optional(idem?.expires.microseconds)]
        return (opening ? singleOpenStatement : singleUpdateStatement, params)
    }

    static func singleOutcome(_ write: CaseWrite, answer: Result<[SQLRow], StoreError>) -> Outcome {
        switch answer {
        case .failure(let error) where error.code == .conflict:
            // A unique violation here means someone else appended first.
            return .failure(StoreError(.conflict, "\(conflict(write).message) (\(error.message))"))
        case .failure(let error):
            return .failure(error)
        case .success(let rows):
            do throws(StoreError) {
                guard let row = rows.first, try row.int(0) == 1 else { return .failure(conflict(write)) }
                guard try row.int(1) == Int64(write.events.count) else {
                    return .failure(StoreError(.failure, "case \(write.stored.case.id): events were not all written"))
                }
                return .success(())
            } catch {
                return .failure(error)
            }
        }
    }

    /// PostgreSQL's single-change statement; the projection statement's
    /// parameters come first, the events and the idempotency record after.
    private static func singleStatement(projection: String, parameters base: Int) -> String {
        let p = { (i: Int) in "$\(base + i)" }
        return """
            WITH changed AS (\(projection)),
            appended AS (
                INSERT INTO audit_events (chain, seq, at, actor, role, action, data, prev, hash)
                SELECT changed.id, e.seq, e.at, e.actor, e.role, e.action, e.data::text, e.prev, e.hash
                FROM changed, json_to_recordset(\(p(1))::json)
                    AS e(seq bigint, at text, actor text, role text, action text, data json, prev text, hash text)
                RETURNING 1),
            remembered AS (
                INSERT INTO idempotency (user_name, key, digest, reply, expires)
                SELECT \(p(2))::text, \(p(3))::text, \(p(4))::text, \(p(5))::text, \(p(6))::bigint
                FROM changed WHERE \(p(2))::text IS NOT NULL
                RETURNING 1)
            SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM appended), (SELECT count(*) FROM remembered)
            """
    }

    /// Updates an existing case: 12 projection parameters and the expected version.
    static let singleUpdateStatement = singleStatement(projection: updateProjection, parameters: 13)
    /// Opens a case: 12 projection parameters and 4 more of the new case.
    static let singleOpenStatement = singleStatement(projection: insertProjection, parameters: 16)

    // MARK: - Several changes

    /// Its parameters are arrays, one per column (`BatchArrays`), read with
    /// `unnest`: the case rows, the events, the idempotency records. Ids
    /// compare in collation "C", as the tables' keys do.
    static let batchStatement = """
        WITH w AS (
            SELECT * FROM unnest($1::text[] COLLATE "C", $2::text[], $3::text[], $4::text[], $5::bigint[],
                $6::text[], $7::text[], $8::boolean[], $9::boolean[], $10::bigint[], $11::bigint[], $12::text[],
                $13::bigint[], $14::bigint[], $15::text[], $16::bigint[], $17::text[])
            AS w(id, title, state, stage, version, head, updated, on_hold, final, overdue_at, alarm_at, body,
                 expected, num, template, template_version, opened)
        ),
        updated AS (
            UPDATE cases c SET title = w.title, state = w.state, stage = w.stage, version = w.version,
                head = w.head, updated = w.updated, on_hold = w.on_hold, final = w.final,
                overdue_at = w.overdue_at, alarm_at = w.alarm_at, body = w.body
            FROM w
            WHERE w.expected > 0 AND c.id = w.id AND c.version = w.expected
            RETURNING c.id
        ),
        inserted AS (
            INSERT INTO cases (id, title, state, stage, version, head, updated, on_hold, final, overdue_at, alarm_at,
                               body, num, template, template_version, opened)
            SELECT id, title, state, stage, version, head, updated, on_hold, final, overdue_at, alarm_at,
                   body, num, template, template_version, opened
            FROM w WHERE w.expected = 0
            ON CONFLICT (id) DO NOTHING
            RETURNING id
        ),
        changed AS (SELECT id FROM updated UNION ALL SELECT id FROM inserted),
        appended AS (
            INSERT INTO audit_events (chain, seq, at, actor, role, action, data, prev, hash)
            SELECT e.chain, e.seq, e.at, e.actor, e.role, e.action, e.data, e.prev, e.hash
            FROM unnest($18::text[] COLLATE "C", $19::bigint[], $20::text[], $21::text[], $22::text[],
                        $23::text[], $24::text[], $25::text[], $26::text[])
                AS e(chain, seq, at, actor, role, action, data, prev, hash)
            JOIN changed ON changed.id = e.chain
            RETURNING chain
        ),
        remembered AS (
            INSERT INTO idempotency (user_name, key, digest, reply, expires)
            SELECT i.user_name, i.key, i.digest, i.reply, i.expires
            FROM unnest($27::text[] COLLATE "C", $28::text[], $29::text[], $30::text[], $31::text[], $32::bigint[])
                AS i(case_id, user_name, key, digest, reply, expires)
            JOIN changed ON changed.id = i.case_id
            RETURNING 1
        )
        SELECT changed.id, (SELECT count(*) FROM appended WHERE appended.chain = changed.id)
        FROM changed
        """
}

extension Result where Failure == StoreError {
    /// The error, when it says the connection is gone.
    var unavailableError: StoreError? {
        if case .failure(let error) = self, error.code == .unavailable { return error }
        return nil
    }
}
