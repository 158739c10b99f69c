import AuditLog

/// What one NOTIFY on `EventNotification.channel` says: audit events another
/// (or this) atmpd instance committed. Sent by the `atmp_notify_events`
/// trigger (migration 3) inside the committing transaction, so it is
/// delivered only after the commit and in commit order.
///
/// Payload: `{"o":"ORIGIN","e":[[chain,seq,action,actor,state,template],…]}`,
/// at most about 7000 bytes (NOTIFY's limit is 8000), so one statement's
/// events may arrive as several notifications. `o` is the writing session's
/// `atmp.instance` setting (empty for writers that set none, such as
/// `atmpd user add`). An event too large to describe arrives as `[chain,seq]`
/// only: a reference the receiver reads from the store.
public struct EventNotification: Sendable, Equatable {
    public static let channel = "atmp_events"

    /// One announced event. `action == nil` marks a reference.
    public struct Item: Sendable, Equatable {
        public var chain: String
        public var seq: Int64
        public var action: String?
        public var actor: String?
        /// The case's state and template after the statement; nil for the system chain.
        public var state: String?
        public var template: String?

        public init(chain: String, seq: Int64, action: String?, actor: String?, state: String?, template: String?) {
            self.chain = chain; self.seq = seq; self.action = action; self.actor = actor
            self.state = state; self.template = template
        }

        public var isReference: Bool { action == nil }
    }

    public var origin: String
    public var items: [Item]

    public init(origin: String, items: [Item]) {
        self.origin = origin
        self.items = items
    }

    /// Decodes a payload; nil when it is not one (someone else NOTIFYing on the channel).
    public init?(payload: String) {
        guard let object = try? JSONValue.parse(Array(payload.utf8)).objectValue,
              let origin = object["o"]?.stringValue, let list = object["e"]?.arrayValue
        else { return nil }
        var items: [Item] = []
        for entry in list {
            guard let fields = entry.arrayValue, fields.count >= 2,
                  let chain = fields[0].stringValue, let seq = fields[1].intValue
            else { return nil }
            func text(_ index: Int) -> String? { index < fields.count ? fields[index].stringValue : nil }
            items.append(Item(chain: chain, seq: seq, action: text(2), actor: text(3), state: text(4),
                              template: text(5)))
        }
        self.init(origin: origin, items: items)
    }
}
