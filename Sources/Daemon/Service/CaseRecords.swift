import AuditLog
import CaseEngine
import ControlProtocol
import Storage
import Workflow

/// The records that describe a case on the wire (CASE SHOW, CASE LIST and
/// the replies to changes).
enum CaseRecords {
    /// `case id= state= stage= version= title=`: the short form answering a change.
    static func changed(_ current: Case) -> ReplyRecord {
        ReplyRecord("case", fields: [
            Field("id", current.id), Field("state", current.state), Field("stage", current.stage),
            Field("version", String(current.version)), Field("title", current.title),
        ])
    }

    /// The full `case` record of CASE SHOW and CASE LIST. `hold` is the hold
    /// reason, or `false`; attributes follow as `attr.KEY=VALUE` in key order.
    static func summary(_ stored: StoredCaseSummary, now: Timestamp) -> ReplyRecord {
        let current = stored.summary
        var fields = [
            Field("id", current.id), Field("template", current.template),
            Field("template-version", String(current.templateVersion)), Field("title", current.title),
            Field("state", current.state), Field("stage", current.stage), Field("version", String(current.version)),
            Field("opened", current.opened.rfc3339), Field("entered", current.entered.rfc3339),
            Field("hold", current.holdReason ?? "false"), Field("final", String(current.isFinal)),
            Field("overdue", String(stored.overdueAt.map { $0 <= now } ?? false)),
        ]
        for key in current.attributes.keys.sorted() {
            fields.append(Field("attr." + key, current.attributes[key]!))
        }
        return ReplyRecord("case", fields: fields)
    }

    /// Everything CASE SHOW says after the `case` record.
    static func details(_ current: Case, template: Template, principal: Principal, now: Timestamp) -> [ReplyRecord] {
        var records: [ReplyRecord] = []
        for kind in current.documents.keys.sorted() {
            let document = current.documents[kind]!
            var fields = [Field("kind", kind), Field("sha256", document.sha256)]
            if let uri = document.uri { fields.append(Field("uri", uri)) }
            if let title = document.title { fields.append(Field("title", title)) }
            fields += [Field("at", document.at.rfc3339), Field("by", document.by)]
            records.append(ReplyRecord("document", fields: fields))
        }
        for signature in current.signatures {
            records.append(ReplyRecord("signature", fields: [
                Field("transition", signature.transition), Field("role", signature.role),
                Field("meaning", signature.meaning.rawValue), Field("signer", signature.signer),
                Field("at", signature.at.rfc3339), Field("record", signature.record),
            ]))
        }
        for spec in template.clocks {
            guard let clock = current.clocks[spec.name] else { continue }
            records.append(ReplyRecord("clock", fields: [
                Field("name", spec.name), Field("status", clock.status.rawValue),
                Field("elapsed-seconds", String(clock.elapsed(at: now) / 1_000_000)), Field("days", String(spec.days)),
            ]))
        }
        for step in CaseEngine.next(current, template: template, for: principal) {
            var missing = step.missing.map(\.summary)
            for obstacle in step.obstacles {
                switch obstacle {
                case .onHold: missing.append("resume:on-hold")
                case .roleRequired(let roles): missing.append("role:" + roles.joined(separator: "|"))
                }
            }
            records.append(ReplyRecord("next", fields: [
                Field("transition", step.transition), Field("to", step.to), Field("ready", String(step.ready)),
                Field("missing", missing.joined(separator: ",")),
            ]))
        }
        return records
    }
}
