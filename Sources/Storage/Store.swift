import AuditLog
import CaseEngine

/// Everything the daemon keeps: templates, users, cases with their audit
/// chains, and idempotency keys.
///
/// Two implementations pass one conformance suite: `PostgresStore` (the
/// production store) and `SQLiteStore` (the embedded default). Each method is
/// one transaction: on any thrown error nothing was written. Implementations
/// run their blocking C calls on their own threads, never on the caller's.
public protocol Store: Sendable {
    // MARK: Templates

    /// Publishes a template body. A body byte-identical to the latest version
    /// is a no-op returning that version with `unchanged == true`; otherwise
    /// version N+1 is stored with a `template.published` event in the
    /// `system` chain, in one transaction.
    func publishTemplate(_ draft: TemplateDraft, by actor: String, role: String, at: Timestamp)
        async throws(StoreError) -> PublishedTemplate

    /// A template version, or the latest one when `version` is nil.
    func template(named name: String, version: Int?) async throws(StoreError) -> StoredTemplate?

    /// The latest version of every template, by name.
    func latestTemplates() async throws(StoreError) -> [StoredTemplate]

    // MARK: Users

    /// Adds a user and records `user.added` in the system chain. `.conflict` if the name is taken.
    func addUser(_ user: StoredUser, by actor: String, role: String, at: Timestamp) async throws(StoreError) -> AuditEvent

    /// Changes a user and records `user.changed` with old and new values. `.notFound` if absent.
    func changeUser(named name: String, _ change: UserChange, by actor: String, role: String, at: Timestamp)
        async throws(StoreError) -> StoredUser

    func user(named name: String) async throws(StoreError) -> StoredUser?
    func users() async throws(StoreError) -> [StoredUser]

    /// Records a failed sign-in as `auth.failed` in the system chain.
    func recordAuthFailure(user: String, reason: String, peer: String?, at: Timestamp)
        async throws(StoreError) -> AuditEvent

    // MARK: Cases

    /// A new, never used case id (`C-000001`, `C-000002`, …).
    func allocateCaseID() async throws(StoreError) -> String

    func loadCase(id: String) async throws(StoreError) -> StoredCase?

    /// Summaries of the cases matching `query`, in id order.
    func listCases(_ query: CaseQuery) async throws(StoreError) -> [StoredCaseSummary]

    /// Cases with an overdue condition not yet raised at `now` (`alarmAt <= now`), in alarm order.
    func casesDue(at now: Timestamp, limit: Int) async throws(StoreError) -> [StoredCase]

    /// Appends a change's events to the case's chain and stores its new
    /// projection, in one transaction, if the stored version still equals
    /// `write.expectedVersion` (0: the case must not exist yet). Otherwise
    /// `.conflict` and nothing is written.
    ///
    /// `whenDurable` runs once the transaction is committed — durable — on
    /// whichever thread learned it (a commit lane's, perhaps), before this
    /// returns: the earliest moment the change may be announced. It must not
    /// block. It does not run when the commit fails.
    func commit(_ write: CaseWrite, whenDurable: (@Sendable () -> Void)?) async throws(StoreError)

    // MARK: Audit

    /// Events of one chain from `from` (inclusive), at most `limit`, in seq order.
    func trail(chain: String, from: Int64, limit: Int) async throws(StoreError) -> [AuditEvent]

    /// The chain's last seq and hash, or nil for an empty chain.
    func chainHead(_ chain: String) async throws(StoreError) -> ChainHead?

    /// Recomputes every chain (or one) from storage, and checks each case's
    /// stored version and head against its chain. Streams rows, so memory
    /// stays small however many events there are.
    func verify(chain: String?) async throws(StoreError) -> StorageVerification

    // MARK: Idempotency

    /// The stored reply for a user's idempotency key, if it has not expired at `now`.
    func idempotency(user: String, key: String, now: Timestamp) async throws(StoreError) -> IdempotencyRecord?

    // MARK: Lifecycle

    /// Closes connections; later calls fail with `.unavailable`.
    func close() async

    /// The database connections' use right now; nil when the store has no pool.
    func poolStatus() -> PoolStatus?

    /// Client sockets a spinning commit lane may read for the daemon
    /// (`LaneWatch`); nil when the store has no commit lanes.
    var laneWatch: LaneWatch? { get }
}

extension Store {
    public func commit(_ write: CaseWrite) async throws(StoreError) {
        try await commit(write, whenDurable: nil)
    }

    public func poolStatus() -> PoolStatus? { nil }

    public var laneWatch: LaneWatch? { nil }
}

/// A connection pool's use at one moment (STATS, the metrics endpoint).
public struct PoolStatus: Sendable, Equatable {
    /// Most connections the pool opens.
    public var size: Int
    /// Connections open now (in use, idle, or being opened).
    public var open: Int
    /// Open connections waiting for work.
    public var idle: Int
    /// Pieces of work waiting for a connection.
    public var waiting: Int
    /// Failed attempts to connect since the store was opened.
    public var connectFailures: Int
    /// Group commit (PostgreSQL with commit lanes); nil without it.
    public var groupCommit: GroupCommitStatus?

    public var inUse: Int { max(0, open - idle) }

    public init(size: Int, open: Int, idle: Int, waiting: Int, connectFailures: Int,
                groupCommit: GroupCommitStatus? = nil) {
        self.size = size; self.open = open; self.idle = idle; self.waiting = waiting
        self.connectFailures = connectFailures
        self.groupCommit = groupCommit
    }

}

/// Group commit's figures since the store opened (STATS, the metrics endpoint):
/// `changes ÷ batches` is the mean batch size.
public struct GroupCommitStatus: Sendable, Equatable {
    /// Most batches committed at once (`--commit-lanes`).
    public var lanes: Int
    /// Lane threads alive now (they end when idle).
    public var lanesRunning: Int
    /// Changes waiting for a lane now.
    public var queued: Int
    public var batches: Int64
    public var changes: Int64
    public var largestBatch: Int
    /// How long a waiting lane polls without sleeping (`--commit-spin`), in
    /// µs; its default depends on the processors, so it is shown.
    public var spinMicroseconds: Int64
    /// Waits of a lane that ended while it polled without sleeping.
    public var spinHits: Int64
    /// Changes committed alone, one statement each, because the statement
    /// they shared with others failed as a whole (a clashing idempotency
    /// key, a deadlock — or a fault in that statement, which this makes
    /// visible: correct, but slow).
    public var retriedAlone: Int64
    /// Client requests a spinning lane read itself (`LaneWatch`), and
    /// sockets it handed back to their event loops unread.
    public var laneReads: Int64
    public var laneHandBacks: Int64

    public init(lanes: Int, lanesRunning: Int, queued: Int, batches: Int64, changes: Int64, largestBatch: Int,
                spinMicroseconds: Int64 = 0, spinHits: Int64 = 0, retriedAlone: Int64 = 0,
                laneReads: Int64 = 0, laneHandBacks: Int64 = 0) {
        self.lanes = lanes; self.lanesRunning = lanesRunning; self.queued = queued
        self.batches = batches; self.changes = changes; self.largestBatch = largestBatch
        self.spinMicroseconds = spinMicroseconds
        self.spinHits = spinHits
        self.retriedAlone = retriedAlone
        self.laneReads = laneReads
        self.laneHandBacks = laneHandBacks
    }
}

/// A template body about to be published, with what validation learnt of it.
public struct TemplateDraft: Sendable, Equatable {
    public var name: String
    public var title: String?
    public var states: Int
    /// The YAML exactly as submitted.
    public var body: String
    /// Lowercase hex SHA-256 of `body`'s UTF-8 bytes.
    public var sha256: String
    public init(name: String, title: String?, states: Int, body: String, sha256: String) {
        self.name = name; self.title = title; self.states = states; self.body = body; self.sha256 = sha256
    }
}

public struct StoredTemplate: Sendable, Equatable {
    public var name: String
    public var version: Int
    public var title: String?
    public var states: Int
    public var body: String
    public var sha256: String
    public var publishedBy: String
    public var publishedAt: Timestamp
    public init(name: String, version: Int, title: String?, states: Int, body: String, sha256: String,
                publishedBy: String, publishedAt: Timestamp) {
        self.name = name; self.version = version; self.title = title; self.states = states; self.body = body
        self.sha256 = sha256; self.publishedBy = publishedBy; self.publishedAt = publishedAt
    }
}

public struct PublishedTemplate: Sendable, Equatable {
    public var template: StoredTemplate
    /// True when the body equalled the latest version: nothing was written.
    public var unchanged: Bool
    /// The `template.published` event, when something was written.
    public var event: AuditEvent?
}

public struct StoredUser: Sendable, Equatable {
    public var name: String
    public var roles: [String]
    /// A self-describing password hash (see `PasswordHash`).
    public var passwordHash: String
    public var disabled: Bool
    public init(name: String, roles: [String], passwordHash: String, disabled: Bool = false) {
        self.name = name; self.roles = roles; self.passwordHash = passwordHash; self.disabled = disabled
    }
}

/// A change to a user; nil members stay as they are.
public struct UserChange: Sendable, Equatable {
    public var roles: [String]?
    public var passwordHash: String?
    public var disabled: Bool?
    public init(roles: [String]? = nil, passwordHash: String? = nil, disabled: Bool? = nil) {
        self.roles = roles; self.passwordHash = passwordHash; self.disabled = disabled
    }
}

/// A case projection with the times its overdue conditions fall due.
public struct StoredCase: Sendable, Equatable {
    public var `case`: Case
    /// Earliest time any overdue condition of the current projection holds
    /// (raised or not); `CASE LIST overdue=true` compares it with now.
    public var overdueAt: Timestamp?
    /// Earliest time an overdue condition not yet raised falls due: the clock loop's queue.
    public var alarmAt: Timestamp?
    public init(case: Case, overdueAt: Timestamp?, alarmAt: Timestamp?) {
        self.case = `case`; self.overdueAt = overdueAt; self.alarmAt = alarmAt
    }
}

/// A case's summary with the time its overdue conditions hold: a row of `CASE LIST`.
public struct StoredCaseSummary: Sendable, Equatable {
    public var summary: CaseSummary
    /// As `StoredCase.overdueAt`.
    public var overdueAt: Timestamp?
    public init(summary: CaseSummary, overdueAt: Timestamp?) { self.summary = summary; self.overdueAt = overdueAt }
    public init(_ stored: StoredCase) { self.init(summary: CaseSummary(stored.case), overdueAt: stored.overdueAt) }
}

public struct CaseQuery: Sendable, Equatable {
    public var template: String?
    public var state: String?
    public var stage: String?
    public var overdue: Bool?
    public var hold: Bool?
    /// Only cases whose id sorts after this one (pagination).
    public var after: String?
    public var limit: Int
    /// The time `overdue` is judged at.
    public var now: Timestamp
    public init(template: String? = nil, state: String? = nil, stage: String? = nil, overdue: Bool? = nil,
                hold: Bool? = nil, after: String? = nil, limit: Int = 100, now: Timestamp) {
        self.template = template; self.state = state; self.stage = stage; self.overdue = overdue
        self.hold = hold; self.after = after; self.limit = limit; self.now = now
    }
}

/// One change to one case: its sealed events and its new projection.
public struct CaseWrite: Sendable, Equatable {
    public var stored: StoredCase
    /// The version the change was decided on; 0 opens a new case.
    public var expectedVersion: Int64
    /// Sealed events `expectedVersion + 1 …`, chained on the stored head.
    public var events: [AuditEvent]
    /// Stored with the change, in the same transaction.
    public var idempotency: IdempotencyRecord?
    public init(stored: StoredCase, expectedVersion: Int64, events: [AuditEvent], idempotency: IdempotencyRecord? = nil) {
        self.stored = stored; self.expectedVersion = expectedVersion; self.events = events
        self.idempotency = idempotency
    }
}

public struct IdempotencyRecord: Sendable, Equatable {
    public var user: String
    public var key: String
    /// Digest of the request, to tell a repeat from a different request under the same key.
    public var digest: String
    /// The reply given the first time, replayed verbatim.
    public var reply: String
    public var expires: Timestamp
    public init(user: String, key: String, digest: String, reply: String, expires: Timestamp) {
        self.user = user; self.key = key; self.digest = digest; self.reply = reply; self.expires = expires
    }
}

public struct ChainHead: Sendable, Equatable {
    public var seq: Int64
    public var hash: String
    public var at: Timestamp
    public init(seq: Int64, hash: String, at: Timestamp) { self.seq = seq; self.hash = hash; self.at = at }
}

/// What `Store.verify` found.
public struct StorageVerification: Sendable, Equatable {
    public var chains: Int
    public var events: Int64
    /// First bad seq of every broken chain, and every case whose stored
    /// version or head disagrees with its chain.
    public var broken: [BrokenChain]
    public var isIntact: Bool { broken.isEmpty }
    public init(chains: Int, events: Int64, broken: [BrokenChain]) {
        self.chains = chains; self.events = events; self.broken = broken
    }
}

public struct BrokenChain: Sendable, Equatable {
    public var chain: String
    public var seq: Int64
    public var reason: String
    public init(chain: String, seq: Int64, reason: String) { self.chain = chain; self.seq = seq; self.reason = reason }
}
