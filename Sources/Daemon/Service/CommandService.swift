import AuditLog
import CaseEngine
import ControlProtocol
import Logging
import Storage
import Synchronization

/// Settings of the command service (the parts of `atmpd`'s configuration it uses).
public struct ServiceConfiguration: Sendable {
    /// `atmpd` version, for the greeting and HELLO.
    public var version: String = "0.1.0"
    /// Failed AUTH attempts allowed on one connection before it is closed.
    public var maxAuthFailures: Int = 5
    /// Failed password checks for one user name, over all connections, within
    /// `authFailureWindow`, after which its password is not checked until the
    /// oldest failure has aged out (see `SignInThrottle`).
    public var maxAuthFailuresPerUser: Int = 10
    public var authFailureWindow: Duration = .seconds(15 * 60)
    /// Idempotency keys are remembered this long.
    public var idempotencyTTLSeconds: Int64 = 24 * 3_600
    /// Largest data block (TEMPLATE PUT/CHECK), in bytes.
    public var maxDataBytes: Int = 1 << 20
    /// Accept the Unix socket peer's OS user as its identity (no AUTH needed).
    public var peerAuthentication: Bool = false
    /// scrypt cost for passwords set through the protocol.
    public var passwordCost: PasswordHash.Cost = .standard
    /// How long a user looked up for the per-command re-check is trusted;
    /// changes made through another `atmpd` instance show after at most this.
    public var userCacheTTL: Duration = .seconds(2)
    /// Cases whose latest projection is kept in memory for the change path
    /// (see `CaseCache`); 0 turns the cache off.
    public var caseCacheCapacity: Int = 100_000

    public init() {}
}

/// The wall clock, in one place: the daemon's only source of time.
public struct WallClock: Sendable {
    public var now: @Sendable () -> Timestamp
    public init(now: @escaping @Sendable () -> Timestamp) { self.now = now }

    public static let system = WallClock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microseconds: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Every protocol command, from parsed request to reply: authentication,
/// authorization, the core's decisions, the store, idempotency, and events for
/// watchers. It knows nothing of sockets: the network layer hands it one
/// request at a time per connection, in order.
///
/// The commands live in `Service+….swift`, one file per group; the argument
/// shapes in `CommandTable`, who may run what in `Authorization`.
public final class CommandService: Sendable {
    public let store: any Store
    public let configuration: ServiceConfiguration
    public let hub: EventHub
    public let clock: WallClock
    public let logger: Logger
    /// What this instance counts, for STATS and the metrics endpoint.
    public let metrics: DaemonMetrics
    /// Announces committed events to other instances on the same PostgreSQL
    /// database; nil on SQLite or with `--no-cluster-events`.
    public let clusterEvents: ClusterEventPublisher?

    /// Overdue scans this instance ran and skipped (see `OverdueClock`).
    public let overdueScans = OverdueScanCounters()

    let users: UserDirectory
    let templates: TemplateCache
    let caseCache: CaseCache
    /// Verified against when AUTH names an unknown user, so that a wrong name
    /// costs as much time as a wrong password and names cannot be probed.
    let decoyHash: String
    /// Failed password checks per user name, across connections.
    let signInThrottle: Mutex<SignInThrottle>

    public init(store: any Store, configuration: ServiceConfiguration, hub: EventHub, clock: WallClock = .system,
                clusterEvents: ClusterEventPublisher? = nil, metrics: DaemonMetrics = DaemonMetrics(),
                logger: Logger) {
        self.store = store
        self.clusterEvents = clusterEvents
        self.configuration = configuration
        self.hub = hub
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
        self.users = UserDirectory(store: store, ttl: configuration.userCacheTTL)
        self.templates = TemplateCache(store: store)
        self.caseCache = CaseCache(capacity: configuration.caseCacheCapacity)
        self.decoyHash = PasswordHash.make(password: "decoy", cost: configuration.passwordCost)
        self.signInThrottle = Mutex(SignInThrottle(limit: configuration.maxAuthFailuresPerUser,
                                                   window: configuration.authFailureWindow))
    }

    /// Answers one request. `data` is the data block of a `+` request.
    public func handle(_ request: Request, data: String?, session: inout Session) async -> Outcome {
        let started = ContinuousClock.now
        let outcome = await answer(request, data: data, session: &session)
        let known = CommandTable.specs[request.command] != nil
        metrics.requestAnswered(command: known ? request.command : "unknown", code: outcome.reply.code.rawValue,
                                duration: ContinuousClock.now - started)
        return outcome
    }

    private func answer(_ request: Request, data: String?, session: inout Session) async -> Outcome {
        let command = request.command
        logger.debug("command", metadata: [
            "session": "\(session.id)", "user": "\(session.user ?? "-")", "request": "\(Self.redacted(request))",
        ])
        do throws(ServiceFailure) {
            guard let spec = CommandTable.specs[command], let permission = Authorization.permissions[command] else {
                throw ServiceFailure(.unknownCommand("unknown command \(command)"))
            }
            try await refreshPrincipal(&session)
            guard permission == .anyone || session.isAuthenticated else {
                throw ServiceFailure(.authRequired("sign in first with AUTH user=NAME password=SECRET"))
            }
            if let principal = session.principal,
               let refusal = Authorization.staticRefusal(permission, command: command, principal: principal,
                                                         namedUser: request.positional.first) {
                throw refusal
            }
            try CommandTable.validate(request, data: data, against: spec)
            return try await dispatch(command, request, data: data, session: &session)
        } catch {
            if error.outcome.reply.code != .ok {
                logger.debug("refused", metadata: [
                    "session": "\(session.id)", "command": "\(command)",
                    "reply": "\(error.outcome.reply.error?.description ?? "")",
                ])
            }
            return error.outcome
        }
    }

    private func dispatch(_ command: String, _ request: Request, data: String?, session: inout Session)
        async throws(ServiceFailure) -> Outcome
    {
        switch command {
        case "HELLO": return hello(session)
        case "AUTH": return try await authenticate(request, session: &session)
        case "PING": return Outcome(.ok(words: ["pong"]))
        case "QUIT": return Outcome(.ok(words: ["bye"]), close: true)
        case "USER ADD": return try await addUser(request, session)
        case "USER LIST": return try await listUsers()
        case "USER ROLES": return try await changeRoles(request, session)
        case "USER DISABLE": return try await setDisabled(true, request, session)
        case "USER ENABLE": return try await setDisabled(false, request, session)
        case "USER PASSWORD": return try await changePassword(request, session)
        case "TEMPLATE PUT": return try await putTemplate(data ?? "", session)
        case "TEMPLATE CHECK": return try checkTemplate(data ?? "")
        case "TEMPLATE LIST": return try await listTemplates()
        case "TEMPLATE SHOW": return try await showTemplate(request)
        case "TEMPLATE GRAPH": return try await graphTemplate(request)
        case "CASE SHOW": return try await showCase(request, session)
        case "CASE LIST": return try await listCases(request, session)
        case "CASE OPEN": return try await openCase(request, session)
        case "CASE ADVANCE", "CASE ATTACH", "CASE SIGN", "CASE HOLD", "CASE RESUME", "CASE NOTE", "CASE SET":
            return try await changeCase(request, session: &session)
        case "AUDIT TRAIL": return try await auditTrail(request, session)
        case "AUDIT VERIFY": return try await auditVerify(request, session)
        case "AUDIT EXPORT": return try await auditExport(request, session)
        case "WATCH": return try await watch(request, session: &session)
        case "UNWATCH":
            session.watch = nil
            return Outcome(.ok())
        case "STATS": return stats()
        default:
            throw ServiceFailure(.unknownCommand("unknown command \(command)"))
        }
    }

    /// Raises `case.overdue` for every case with a condition due at `now`, at
    /// most `limit` cases per call; returns how many events were raised.
    /// Called by the clock loop.
    public func raiseOverdue(limit: Int = 100) async -> Int {
        await raiseOverdueEvents(limit: limit)
    }

    // MARK: - Shared plumbing

    /// Runs a store call, mapping its error to a reply; failures that are not
    /// the user's doing (constraint, corrupt, failure) are logged at error level.
    func storeCall<T>(_ body: () async throws(StoreError) -> T) async throws(ServiceFailure) -> T {
        do throws(StoreError) {
            return try await body()
        } catch {
            throw storeFailure(error)
        }
    }

    /// The reply for a store error, logged as it deserves.
    func storeFailure(_ error: StoreError) -> ServiceFailure {
        metrics.storeError(error.code)
        switch error.code {
        case .conflict, .notFound: break
        case .unavailable: logger.warning("storage unavailable", metadata: ["error": "\(error)"])
        default: logger.error("storage failure; nothing was written", metadata: ["error": "\(error)"])
        }
        return ServiceFailure(error)
    }

    /// Publishes committed events to this instance's watchers and queues them
    /// for the other instances. Every path that commits events calls this,
    /// after the commit: what lost its version guard is never announced.
    func publish(_ events: [AuditEvent], template: String?, state: String?) {
        for event in events { hub.publish(.init(event: event, template: template, state: state)) }
        clusterEvents?.enqueue(events.map {
            EventNotification.Item(chain: $0.chain, seq: $0.seq, action: $0.action, actor: $0.actor, state: state,
                                   template: template)
        })
    }

    /// The request as text for logs, with password values replaced.
    static func redacted(_ request: Request) -> String {
        var parts = [(request.hasData ? "+" : "") + request.command]
        parts += request.positional.map { Quoting.quotedIfNeeded($0) }
        parts += request.keyed.map { $0.key == "password" ? "password=***" : $0.description }
        return parts.joined(separator: " ")
    }
}

extension Session {
    /// The signed-in user as the engine sees them.
    var principal: Principal? { user.map { Principal(name: $0, roles: roles) } }
}
