/// The head of one chain: enough to append the next event.
///
/// Storage keeps this per case (its version is `lastSeq`, its head `head`);
/// the engine seals events through it so `seq` and `prev` are always right.
public struct AuditChain: Sendable, Hashable {
    /// Case id, or `system`.
    public var name: String
    /// `seq` of the last event, 0 for an empty chain.
    public var lastSeq: Int64
    /// `hash` of the last event, `AuditEvent.genesisPrev` for an empty chain.
    public var head: String

    /// An empty chain, or one continuing from a stored head.
    public init(name: String, lastSeq: Int64 = 0, head: String = AuditEvent.genesisPrev) {
        self.name = name; self.lastSeq = lastSeq; self.head = head
    }

    /// Seals `record` as the next event of the chain and advances the head.
    public mutating func append(_ record: AuditRecord) -> AuditEvent {
        let event = AuditEvent.seal(record, chain: name, seq: lastSeq + 1, prev: head)
        lastSeq = event.seq
        head = event.hash
        return event
    }
}
