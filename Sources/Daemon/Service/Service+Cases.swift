import AuditLog
import CaseEngine
import ControlProtocol
import Storage
import Workflow

// CASE SHOW and CASE LIST, and the visibility rule they share: a case is
// visible to regulators, admins and holders of a role of its template. To
// everyone else it does not exist (550, not 551), so ids cannot be probed.
extension CommandService {
    static let listLimitDefault: Int64 = 100
    static let listLimitMax: Int64 = 1_000

    func showCase(_ request: Request, _ session: Session) async throws(ServiceFailure) -> Outcome {
        let principal = session.principal!
        let (stored, entry) = try await visibleCase(request.positional[0], principal)
        let now = clock.now()
        let records = [CaseRecords.summary(StoredCaseSummary(stored), now: now)]
            + CaseRecords.details(stored.case, template: entry.template, principal: principal, now: now)
        return Outcome(.ok(records))
    }

    func listCases(_ request: Request, _ session: Session) async throws(ServiceFailure) -> Outcome {
        let principal = session.principal!
        let limit = Int(try Arguments.integer(request, "limit", in: 1...Self.listLimitMax) ?? Self.listLimitDefault)
        let overdue = try Arguments.boolean(request, "overdue")
        let hold = try Arguments.boolean(request, "hold")
        let now = clock.now()
        var query = CaseQuery(
            template: request["template"], state: request["state"], stage: request["stage"],
            overdue: overdue, hold: hold, after: request["after"], limit: limit + 1, now: now)

        var visible: [StoredCaseSummary] = []
        // The id to continue after, when more may follow.
        var next: String?
        // Users who see only some templates' cases: filter page by page. The
        // scan is bounded; when it stops early, `next=` lets the client go on.
        let everything = Authorization.readsEverything(principal)
        var pages = 0
        scan: while true {
            let page = try await storeCall { () async throws(StoreError) in try await store.listCases(query) }
            pages += 1
            for stored in page {
                let readable = everything ? true : try await mayRead(stored.summary, principal)
                guard readable else { query.after = stored.summary.id; continue }
                if visible.count == limit { next = visible.last?.summary.id; break scan }
                visible.append(stored)
                query.after = stored.summary.id
            }
            if page.count <= limit { break }
            if pages >= 10 { next = query.after; break }
        }
        var fields = [Field("count", String(visible.count))]
        if let next { fields.append(Field("next", next)) }
        return Outcome(.ok(visible.map { CaseRecords.summary($0, now: now) }, fields: fields))
    }

    // MARK: Visibility

    /// The case and its template version, if `principal` may read it; 550 otherwise.
    func visibleCase(_ id: String, _ principal: Principal) async throws(ServiceFailure)
        -> (StoredCase, TemplateCache.Entry)
    {
        let stored = try await storeCall { () async throws(StoreError) in try await store.loadCase(id: id) }
        guard let stored else { throw .notFound("no case \(id)") }
        let entry = try await templateEntry(stored.case.template, version: stored.case.templateVersion)
        guard Authorization.mayRead(entry.template, principal) else { throw .notFound("no case \(id)") }
        return (stored, entry)
    }

    func mayRead(_ current: CaseSummary, _ principal: Principal) async throws(ServiceFailure) -> Bool {
        let entry = try await templateEntry(current.template, version: current.templateVersion)
        return Authorization.mayRead(entry.template, principal)
    }
}
