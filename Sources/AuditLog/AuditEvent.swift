/// One entry of an audit chain, exactly the members of AUDIT-FORMAT.md.
///
/// `hash` is SHA-256 over the canonical JSON of every other member; `prev` is
/// the previous event's `hash` (64 zeros for `seq` 1). Events are built by
/// `AuditChain.append`, never by hand, so the hash is always consistent.
public struct AuditEvent: Sendable, Hashable {
    /// Case id, or `system` for the system chain.
    public var chain: String
    public var seq: Int64
    public var at: Timestamp
    /// User name, or `system` for events the server raises itself.
    public var actor: String
    /// The role the actor acted in.
    public var role: String
    /// e.g. `case.advanced`.
    public var action: String
    public var data: [String: JSONValue]
    public var prev: String
    public var hash: String

    public init(
        chain: String, seq: Int64, at: Timestamp, actor: String, role: String,
        action: String, data: [String: JSONValue], prev: String, hash: String
    ) {
        self.chain = chain; self.seq = seq; self.at = at; self.actor = actor; self.role = role
        self.action = action; self.data = data; self.prev = prev; self.hash = hash
    }

    public static let systemChain = "system"
    public static let systemActor = "system"
    /// `prev` of the first event of every chain.
    public static let genesisPrev = String(repeating: "0", count: 64)
}

/// What an event says before it is placed in a chain: the chain assigns
/// `seq`, `prev` and `hash`.
public struct AuditRecord: Sendable, Hashable {
    public var at: Timestamp
    public var actor: String
    public var role: String
    public var action: String
    public var data: [String: JSONValue]
    public init(at: Timestamp, actor: String, role: String, action: String, data: [String: JSONValue]) {
        self.at = at; self.actor = actor; self.role = role; self.action = action; self.data = data
    }
}
