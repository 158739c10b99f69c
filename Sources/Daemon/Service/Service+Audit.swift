import AuditLog
import ControlProtocol
import CaseEngine
import Storage

// AUDIT TRAIL and AUDIT VERIFY. The system chain and "all chains" are for
// regulators and admins; a case chain for whoever may read the case.
extension CommandService {
    static let trailLimitDefault: Int64 = 1_000
    static let trailLimitMax: Int64 = 10_000

    func auditTrail(_ request: Request, _ session: Session) async throws(ServiceFailure) -> Outcome {
        let chain = request.positional[0]
        try await authorizeChain(chain, session.principal!)
        let from = try Arguments.integer(request, "from", in: 1...Int64.max) ?? 1
        let limit = Int(try Arguments.integer(request, "limit", in: 1...Self.trailLimitMax) ?? Self.trailLimitDefault)
        let events = try await storeCall { () async throws(StoreError) in
            try await store.trail(chain: chain, from: from, limit: limit)
        }
        let head = try await storeCall { () async throws(StoreError) in try await store.chainHead(chain) }
        var text: [UInt8] = []
        for event in events {
            event.appendCanonicalJSON(includingHash: true, to: &text)
            text.append(0x0A)
        }
        return Outcome(.ok([ReplyRecord("audit", fields: [Field("chain", chain)], data: String(decoding: text, as: UTF8.self))],
                           fields: [Field("events", String(events.count)), Field("head", head?.hash ?? AuditEvent.genesisPrev)]))
    }

    func auditVerify(_ request: Request, _ session: Session) async throws(ServiceFailure) -> Outcome {
        let chain = request.positional.first
        if let chain {
            try await authorizeChain(chain, session.principal!)
        } else if !Authorization.readsEverything(session.principal!) {
            throw .forbidden("verifying every chain needs the regulator or admin role")
        }
        let result = try await storeCall { () async throws(StoreError) in try await store.verify(chain: chain) }
        guard result.isIntact else {
            logger.error("audit verification found broken chains", metadata: ["broken": "\(result.broken.count)"])
            return Outcome(.error(.auditBroken("\(result.broken.count) broken chain(s)"), records: result.broken.map {
                ReplyRecord("broken", fields: [Field("chain", $0.chain), Field("seq", String($0.seq)), Field("reason", $0.reason)])
            }))
        }
        return Outcome(.ok(fields: [Field("chains", String(result.chains)), Field("events", String(result.events))]))
    }

    /// `system`: regulators and admins (551 for others). A case id: its readers
    /// (550 for others and for unknown chains).
    private func authorizeChain(_ chain: String, _ principal: Principal) async throws(ServiceFailure) {
        if chain == AuditEvent.systemChain {
            guard Authorization.readsEverything(principal) else {
                throw .forbidden("the system chain is for the regulator and admin roles")
            }
            return
        }
        _ = try await visibleCase(chain, principal)
    }
}
