import AuditLog
import CaseEngine
import ControlProtocol
import Storage

// AUDIT EXPORT CASE ID: one file holding a case's chain with its snapshot,
// template, documents and signatures, for `atmpctl audit verify FILE`.
extension CommandService {
    /// Events read per store call while collecting the chain.
    static let exportPage = 10_000

    func auditExport(_ request: Request, _ session: Session) async throws(ServiceFailure) -> Outcome {
        guard request.positional[0].uppercased() == "CASE" else {
            throw .badArgument("AUDIT EXPORT exports a case: AUDIT EXPORT CASE ID")
        }
        let principal = session.principal!
        let (stored, entry) = try await visibleCase(request.positional[1], principal)
        let current = stored.case
        // The chain up to exactly the version read: snapshot and events agree
        // without a transaction, since a chain only grows.
        var events: [AuditEvent] = []
        while events.count < current.version {
            let from = Int64(events.count) + 1
            let limit = min(Self.exportPage, Int(current.version) - events.count)
            let page = try await storeCall { () async throws(StoreError) in
                try await store.trail(chain: current.id, from: from, limit: limit)
            }
            guard !page.isEmpty else { break }
            events += page
        }
        guard events.count == current.version, events.last?.hash == current.head else {
            throw storeFailure(StoreError(.corrupt, "case \(current.id) is at version \(current.version) but its chain holds \(events.count) events"))
        }
        let template = entry.stored
        let export = CaseExport(
            exported: Exported(at: clock.now(), by: principal.name, server: "atmpd \(configuration.version)"),
            snapshot: Self.exportSnapshot(current),
            template: ExportedTemplate(
                name: template.name, version: Int64(template.version), sha256: template.sha256,
                publishedAt: template.publishedAt, publishedBy: template.publishedBy, body: template.body),
            documents: current.documents.values
                .sorted { CanonicalJSON.codePointPrecedes($0.kind, $1.kind) }
                .map { ExportedDocument(kind: $0.kind, sha256: $0.sha256, uri: $0.uri, title: $0.title,
                                        seq: $0.seq, at: $0.at, by: $0.by) },
            signatures: ExportedSignature.all(from: events),
            events: events)
        let record = ReplyRecord("export", fields: [
            Field("case", current.id), Field("format", CaseExport.format), Field("version", String(CaseExport.version)),
            Field("events", String(events.count)), Field("head", export.head),
        ], data: String(decoding: export.encoded(), as: UTF8.self))
        return Outcome(.ok([record]))
    }

    /// The case as CASE SHOW describes it, as JSON (docs/audit-format.md).
    static func exportSnapshot(_ current: Case) -> [String: JSONValue] {
        [
            "id": .string(current.id), "template": .string(current.template),
            "template-version": .int(Int64(current.templateVersion)), "title": .string(current.title),
            "state": .string(current.state), "stage": .string(current.stage), "version": .int(current.version),
            "head": .string(current.head), "opened": .string(current.opened.rfc3339),
            "entered": .string(current.entered.rfc3339), "updated": .string(current.updated.rfc3339),
            "hold": current.hold.map { hold -> JSONValue in
                .object(["reason": .string(hold.reason), "since": .string(hold.since.rfc3339), "by": .string(hold.by)])
            } ?? .null,
            "final": .bool(current.isFinal),
            "attributes": .object(current.attributes.mapValues(JSONValue.string)),
        ]
    }
}
