import AuditLog
import CaseEngine
import Storage
import Synchronization

/// A real store with failures injected in front of it: what a broken chain or
/// a database refusing a write looks like to the service, without tampering
/// with the database files.
final class InterposedStore: Store {
    let base: any Store
    /// Thrown by the next `commit`, once.
    let commitFailure = Mutex<StoreError?>(nil)
    /// Returned by `verify` instead of the real result.
    let verification = Mutex<StorageVerification?>(nil)

    init(_ base: any Store) { self.base = base }

    func publishTemplate(_ draft: TemplateDraft, by actor: String, role: String, at: Timestamp)
        async throws(StoreError) -> PublishedTemplate { try await base.publishTemplate(draft, by: actor, role: role, at: at) }
    func template(named name: String, version: Int?) async throws(StoreError) -> StoredTemplate? {
        try await base.template(named: name, version: version)
    }
    func latestTemplates() async throws(StoreError) -> [StoredTemplate] { try await base.latestTemplates() }
    func addUser(_ user: StoredUser, by actor: String, role: String, at: Timestamp) async throws(StoreError) -> AuditEvent {
        try await base.addUser(user, by: actor, role: role, at: at)
    }
    func changeUser(named name: String, _ change: UserChange, by actor: String, role: String, at: Timestamp)
        async throws(StoreError) -> StoredUser { try await base.changeUser(named: name, change, by: actor, role: role, at: at) }
    func user(named name: String) async throws(StoreError) -> StoredUser? { try await base.user(named: name) }
    func users() async throws(StoreError) -> [StoredUser] { try await base.users() }
    func recordAuthFailure(user: String, reason: String, peer: String?, at: Timestamp)
        async throws(StoreError) -> AuditEvent { try await base.recordAuthFailure(user: user, reason: reason, peer: peer, at: at) }
    func allocateCaseID() async throws(StoreError) -> String { try await base.allocateCaseID() }
    func loadCase(id: String) async throws(StoreError) -> StoredCase? { try await base.loadCase(id: id) }
    func listCases(_ query: CaseQuery) async throws(StoreError) -> [StoredCaseSummary] { try await base.listCases(query) }
    func casesDue(at now: Timestamp, limit: Int) async throws(StoreError) -> [StoredCase] {
        try await base.casesDue(at: now, limit: limit)
    }
    func commit(_ write: CaseWrite, whenDurable: (@Sendable () -> Void)?) async throws(StoreError) {
        if let failure = commitFailure.withLock({ failure in defer { failure = nil }; return failure }) { throw failure }
        try await base.commit(write, whenDurable: whenDurable)
    }
    func trail(chain: String, from: Int64, limit: Int) async throws(StoreError) -> [AuditEvent] {
        try await base.trail(chain: chain, from: from, limit: limit)
    }
    func chainHead(_ chain: String) async throws(StoreError) -> ChainHead? { try await base.chainHead(chain) }
    func verify(chain: String?) async throws(StoreError) -> StorageVerification {
        if let injected = verification.withLock({ $0 }) { return injected }
        return try await base.verify(chain: chain)
    }
    func idempotency(user: String, key: String, now: Timestamp) async throws(StoreError) -> IdempotencyRecord? {
        try await base.idempotency(user: user, key: key, now: now)
    }
    func close() async { await base.close() }
    func poolStatus() -> PoolStatus? { base.poolStatus() }
}
