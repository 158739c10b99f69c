import ControlProtocol

/// One client connection as the command service sees it: who is asking and
/// what they are watching. The network layer owns it; commands may change it
/// (AUTH signs in, WATCH and UNWATCH change the scope).
public struct Session: Sendable {
    public enum Transport: Sendable, Equatable {
        /// The Unix socket; `peerUser` is the OS user of the peer when known (SO_PEERCRED).
        case unix(peerUID: UInt32?, peerUser: String?)
        /// TCP; `peer` is the remote address as text.
        case tcp(peer: String)
    }

    /// Unique per daemon process, for logs.
    public var id: UInt64
    public var transport: Transport
    /// The authenticated user; nil until AUTH (or peer authentication) succeeds.
    public var user: String?
    /// The user's roles (system roles `admin`, `regulator` and template roles).
    public var roles: Set<String>
    /// Failed AUTH attempts on this connection so far.
    public var authFailures: Int
    /// What the connection watches; nil when not watching.
    public var watch: WatchScope?
    /// Set by the connection for one request at a time, when a successful
    /// change may send its reply itself the moment it is durable.
    public var earlyReplies: (any EarlyReplies)?

    public init(id: UInt64, transport: Transport) {
        self.id = id
        self.transport = transport
        self.user = nil
        self.roles = []
        self.authFailures = 0
        self.watch = nil
        self.earlyReplies = nil
    }

    public var isAuthenticated: Bool { user != nil }

    /// The peer as text for logs and `auth.failed` events.
    public var peerDescription: String {
        switch transport {
        case .unix(let uid, let user): return "unix:" + (user ?? uid.map { "uid=\($0)" } ?? "unknown")
        case .tcp(let peer): return "tcp:" + peer
        }
    }
}

/// What a WATCH covers.
public enum WatchScope: Sendable, Equatable, Hashable {
    case all
    case caseID(String)
    case template(String)
}

/// The result of one command: the reply, and what the connection must do with it.
public struct Outcome: Sendable {
    public var reply: Reply
    /// Wait this long before sending the reply (slowing down repeated failed sign-ins).
    public var delay: Duration?
    /// Close the connection after sending the reply (QUIT, too many failed sign-ins).
    public var close: Bool

    public init(_ reply: Reply, delay: Duration? = nil, close: Bool = false) {
        self.reply = reply
        self.delay = delay
        self.close = close
    }
}
