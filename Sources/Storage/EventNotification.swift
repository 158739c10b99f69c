import AuditLog

/// What one NOTIFY on `EventNotification.channel` says: audit events an atmpd
/// instance committed. Sent by that instance's `ClusterEventPublisher` after
/// the commit, off the change path, so a notification never slows a commit.
///
/// Payload: `{"o":"ORIGIN","e":[[chain,seq,action,actor,state,template],…]}`,
/// at most about 7000 bytes (NOTIFY's limit is 8000), so many events arrive as
/// several notifications. `o` is the sending instance's id: an instance skips
/// its own notifications (it published those events locally already). An
/// event too large to describe arrives as `[chain,seq]` only: a reference the
/// receiver reads from the store.
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

    /// How every payload from `origin` begins.
    static func payloadPrefix(origin: String) -> String {
        var head: [UInt8] = Array(#"{"o":"#.utf8)
        CanonicalJSON.appendString(origin, to: &head)
        head += Array(#","e":["#.utf8)
        return String(decoding: head, as: UTF8.self)
    }

    /// The largest payload `payloads` writes, in bytes.
    public static let payloadLimit = 7_000

    /// `items` as payloads of at most `limit` bytes each, in order.
    public static func payloads(origin: String, items: [Item], limit: Int = payloadLimit) -> [String] {
        chunks(origin: origin, items: items, limit: limit).map(\.payload)
    }

    /// The payloads with how many events each carries.
    static func chunks(origin: String, items: [Item], limit: Int = payloadLimit) -> [(payload: String, events: Int)] {
        let head = Array(payloadPrefix(origin: origin).utf8)
        var payloads: [(payload: String, events: Int)] = []
        var chunk = head
        var events = 0
        func close() {
            if events > 0 { payloads.append((String(decoding: chunk + Array("]}".utf8), as: UTF8.self), events)) }
            chunk = head
            events = 0
        }
        for item in items {
            var encoded = item.encoded()
            if head.count + encoded.count + 2 > limit { encoded = item.reference() }
            if events > 0 && chunk.count + encoded.count + 3 > limit { close() }
            if events > 0 { chunk.append(UInt8(ascii: ",")) }
            chunk += encoded
            events += 1
        }
        close()
        return payloads
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

extension EventNotification.Item {
    /// `[chain,seq,action,actor,state,template]`, nulls for what is missing.
    func encoded() -> [UInt8] {
        var out = reference()
        out.removeLast()
        for text in [action, actor, state, template] {
            out.append(UInt8(ascii: ","))
            if let text { CanonicalJSON.appendString(text, to: &out) } else { out += Array("null".utf8) }
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// `[chain,seq]`: the event by reference, for one too large to describe.
    func reference() -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        CanonicalJSON.appendString(chain, to: &out)
        out.append(UInt8(ascii: ","))
        CanonicalJSON.appendInteger(seq, to: &out)
        out.append(UInt8(ascii: "]"))
        return out
    }
}
