import AuditLog
import CaseEngine

/// Rows of `cases` and `audit_events` exactly as `commit` stores them, for
/// loaders that write with COPY instead of one change at a time (the data
/// generator). Built from the same encoders as `commit` — case ids,
/// `CaseCodec`, canonical JSON, RFC 3339 times — so what a loader writes
/// reads back, verifies and lists like anything the daemon wrote.
/// Values are in PostgreSQL's text form (booleans `t`/`f`), nil for NULL.
package enum BulkRows {
    package static let caseColumns =
        "id, num, template, template_version, title, state, stage, version, head, opened, updated, "
        + "on_hold, final, overdue_at, alarm_at, body"

    package static let eventColumns = SQLStore.eventColumns

    /// The `cases` row of a stored case, in `caseColumns` order; nil when the
    /// id is not a case id.
    package static func caseRow(_ stored: StoredCase) -> [String?]? {
        let c = stored.case
        guard let number = SQLStore.caseNumber(c.id) else { return nil }
        return [
            c.id, String(number), c.template, String(c.templateVersion), c.title, c.state, c.stage,
            String(c.version), c.head, c.opened.rfc3339, c.updated.rfc3339, c.hold != nil ? "t" : "f",
            c.isFinal ? "t" : "f", stored.overdueAt.map { String($0.microseconds) },
            stored.alarmAt.map { String($0.microseconds) }, CaseCodec.bodyText(c),
        ]
    }

    /// The `audit_events` row of an event, in `eventColumns` order.
    package static func eventRow(_ e: AuditEvent) -> [String?] {
        [e.chain, String(e.seq), e.at.rfc3339, e.actor, e.role, e.action, jsonText(.object(e.data)), e.prev, e.hash]
    }

    /// The id of case number `number` (`C-000042`).
    package static func caseID(number: Int64) -> String { SQLStore.caseID(number: number) }
}
