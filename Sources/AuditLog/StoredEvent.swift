import Crypto

/// An audit event as a database row holds it: every member as text, `data`
/// as the canonical JSON text it was stored with.
///
/// Why not an `AuditEvent`: a full verify reads millions of rows, and parsing
/// each `data` only to write it back as canonical JSON was a third of its
/// work. Hashing the stored text as it is gives the same hash for every row
/// written as the format says, and a different one for any other bytes, so
/// it finds the same tampering — and also a `data` that was rewritten into
/// equivalent but non-canonical JSON, which a parse would have hidden.
///
/// Splicing raw text into the hashed bytes is unambiguous: every member after
/// `data` is a quoted, escaped string or an integer, so the bytes after
/// `"data":` can be split into `data` and the rest in only one way.
public struct StoredEvent: Sendable, Equatable {
    public var chain: String
    public var seq: Int64
    /// The time as stored: RFC 3339 text (AUDIT-FORMAT.md).
    public var at: String
    public var actor: String
    public var role: String
    public var action: String
    /// The canonical JSON text of the event's data object.
    public var data: String
    public var prev: String
    public var hash: String

    public init(chain: String, seq: Int64, at: String, actor: String, role: String, action: String, data: String,
                prev: String, hash: String)
    {
        self.chain = chain; self.seq = seq; self.at = at; self.actor = actor; self.role = role
        self.action = action; self.data = data; self.prev = prev; self.hash = hash
    }

    /// The row of `event`, as the store writes it.
    public init(_ event: AuditEvent) {
        self.init(
            chain: event.chain, seq: event.seq, at: event.at.rfc3339, actor: event.actor, role: event.role,
            action: event.action, data: String(decoding: JSONValue.object(event.data).canonicalJSON(), as: UTF8.self),
            prev: event.prev, hash: event.hash)
    }

    /// SHA-256 over the event's canonical JSON without `hash`, with `at` and
    /// `data` taken as stored. Equals `AuditEvent.computedHash()` of the
    /// event the row was written from.
    public func computedHash() -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + data.utf8.count)
        AuditEvent.appendCanonicalJSON(
            action: action, actor: actor, at: { CanonicalJSON.appendString(at, to: &$0) }, chain: chain,
            data: { $0.append(contentsOf: data.utf8) }, hash: nil, prev: prev, role: role, seq: seq, to: &bytes)
        return lowercaseHex(SHA256.hash(data: bytes))
    }
}
