import AuditLog
import ControlProtocol
import Logging
import Storage

/// Settings of the command service (the parts of `atmpd`'s configuration it uses).
public struct ServiceConfiguration: Sendable {
    /// `atmpd` version, for the greeting and HELLO.
    public var version: String = "0.1.0"
    /// Failed AUTH attempts allowed on one connection before it is closed.
    public var maxAuthFailures: Int = 5
    /// Idempotency keys are remembered this long.
    public var idempotencyTTLSeconds: Int64 = 24 * 3_600
    /// Largest data block (TEMPLATE PUT/CHECK), in bytes.
    public var maxDataBytes: Int = 1 << 20
    /// Accept the Unix socket peer's OS user as its identity (no AUTH needed).
    public var peerAuthentication: Bool = false
    /// scrypt cost for passwords set through the protocol.
    public var passwordCost: PasswordHash.Cost = .standard

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
public final class CommandService: Sendable {
    public let store: any Store
    public let configuration: ServiceConfiguration
    public let hub: EventHub
    public let clock: WallClock
    public let logger: Logger

    public init(store: any Store, configuration: ServiceConfiguration, hub: EventHub, clock: WallClock = .system,
                logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.hub = hub
        self.clock = clock
        self.logger = logger
    }

    /// Answers one request. `data` is the data block of a `+` request.
    public func handle(_ request: Request, data: String?, session: inout Session) async -> Outcome {
        // Placeholder until the command table lands: enough for the network layer's tests.
        switch request.command {
        case "PING": return Outcome(.ok(words: ["pong"]))
        case "QUIT": return Outcome(.ok(words: ["bye"]), close: true)
        case "HELLO":
            return Outcome(.ok([ReplyRecord("server", fields: [Field("name", "atmpd"), Field("version", configuration.version)])]))
        default: return Outcome(.error(.unknownCommand("unknown command \(request.command)")))
        }
    }

    /// Raises `case.overdue` for every case with a condition due at `now`, at
    /// most `limit` cases per call; returns how many events were raised.
    /// Called by the clock loop.
    public func raiseOverdue(limit: Int = 100) async -> Int { 0 }
}
