import AuditLog
import CaseEngine

// Group commit on PostgreSQL: the changes `GroupCommit` gathers are written by
// ONE statement, in one transaction, with one WAL flush. Each change is still
// atomic and conflict-checked on its own: its projection update carries its
// own version guard, and only changes whose guard held get their events and
// idempotency record inserted. A change that loses its guard is answered
// `.conflict`; the others in the batch commit.
//
// What cannot be decided per change inside one statement — a clash on an
// idempotency key, a trigger refusing a row, a deadlock with another batch —
// aborts the whole statement. Then nothing of it was written, and every change
// of the batch is committed again alone, so each gets the answer it would have
// had without batching.
extension SQLStore {
    /// Commits a batch on one connection; one outcome per change, in order.
    static func commitBatch(_ batch: [PendingCommit], on connection: any SQLConnection) -> [Result<Void, StoreError>] {
        var outcomes = [Result<Void, StoreError>?](repeating: nil, count: batch.count)
        // Together: the first change of each case and of each idempotency key
        // (a statement can apply only one change per row). The others follow
        // alone, after it; against the new version they will conflict as they must.
        var together: [Int] = []
        var alone: [Int] = []
        var cases = Set<String>()
        var keys = Set<[String]>()
        for (index, pending) in batch.enumerated() {
            let idem = pending.write.idempotency.map { [$0.user, $0.key] }
            if cases.insert(pending.write.stored.case.id).inserted, idem.map({ keys.insert($0).inserted }) ?? true {
                together.append(index)
            } else {
                alone.append(index)
            }
        }
        if together.count > 1 {
            do {
                let written = try commitTogether(together.map { batch[$0] }, on: connection)
                for index in together {
                    let write = batch[index].write
                    switch written[write.stored.case.id] {
                    case nil: outcomes[index] = .failure(conflict(write))
                    case Int64(write.events.count): outcomes[index] = .success(())
                    default:
                        outcomes[index] = .failure(StoreError(.failure, "case \(write.stored.case.id): events were not all written"))
                    }
                }
            } catch let error where error.code == .unavailable {
                // The connection is gone (and the batch with it, or it committed
                // unseen): nobody can be told more than that.
                return batch.map { _ in .failure(error) }
            } catch {
                alone = (together + alone).sorted()
            }
        } else {
            alone = (together + alone).sorted()
        }
        for index in alone {
            outcomes[index] = Result { () throws(StoreError) in
                try commitAlone(batch[index], on: connection)
            }
        }
        return outcomes.map { $0! }
    }

    static func commitAlone(_ pending: PendingCommit, on connection: any SQLConnection) throws(StoreError) {
        do {
            try commitInOneStatement(pending, on: connection)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.failure, "\(error)")
        }
    }

    /// Writes the changes in one statement; returns, for every case whose
    /// version guard held, how many events were appended to its chain.
    static func commitTogether(_ batch: [PendingCommit], on connection: any SQLConnection) throws(StoreError)
        -> [String: Int64]
    {
        // Rows in id order, so two batches touching the same cases lock them in
        // the same order (a deadlock is still survived: see above).
        let ordered = batch.sorted { $0.number < $1.number }
        var changes = RecordsetJSON()
        var events = RecordsetJSON()
        var remembered = RecordsetJSON()
        for pending in ordered {
            changes.append(rows: pending.caseRow)
            events.append(rows: pending.eventRows)
            if let row = pending.rememberedRow { remembered.append(rows: row) }
        }
        let rows = try connection.query(batchStatement, [.text(changes.text), .text(events.text), .text(remembered.text)])
        var written: [String: Int64] = [:]
        for row in rows { written[try row.string(0)] = try row.int(1) }
        return written
    }

    static let batchStatement = """
        WITH w AS (
            SELECT * FROM json_to_recordset($1::json) AS w(
                id text COLLATE "C", title text, state text, stage text, version bigint, head text, updated text,
                on_hold boolean, final boolean, overdue_at bigint, alarm_at bigint, body text, expected bigint,
                num bigint, template text, template_version integer, opened text)
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
            FROM json_to_recordset($2::json)
                AS e(chain text COLLATE "C", seq bigint, at text, actor text, role text, action text, data text, prev text, hash text)
            JOIN changed ON changed.id = e.chain
            RETURNING chain
        ),
        remembered AS (
            INSERT INTO idempotency (user_name, key, digest, reply, expires)
            SELECT i.user_name, i.key, i.digest, i.reply, i.expires
            FROM json_to_recordset($3::json)
                AS i(case_id text COLLATE "C", user_name text, key text, digest text, reply text, expires bigint)
            JOIN changed ON changed.id = i.case_id
            RETURNING 1
        )
        SELECT changed.id, (SELECT count(*) FROM appended WHERE appended.chain = changed.id)
        FROM changed
        """
}
