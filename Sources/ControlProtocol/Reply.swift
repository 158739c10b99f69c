/// One line of a reply that carries a type word and fields:
/// `250-case id=C-000001 state=preclinical`, or with a data block
/// `250+template name=atmp version=3` followed by the block.
///
/// Also the shape of a success's final line (`250 OK pong`, `220 atmpd
/// version=1.0 protocol=1`) and of an asynchronous event line; only those use
/// `words`, bare values between the type and the fields.
public struct ReplyRecord: Sendable, Hashable {
    public var type: String
    public var words: [String]
    public var fields: [Field]
    /// The text of the data block after a `+` record (see `DataBlock`).
    public var data: String?

    public init(_ type: String, words: [String] = [], fields: [Field] = [], data: String? = nil) {
        self.type = type
        self.words = words
        self.fields = fields
        self.data = data
    }

    /// The value of the first field with this key.
    public subscript(key: String) -> String? { fields[key] }
}

/// A complete reply: records sharing one code, then the final line.
public struct Reply: Sendable, Hashable {
    /// How a reply ends.
    public enum Final: Sendable, Hashable {
        /// `CODE type words… fields…`: `250 OK count=3`, the greeting, a `650 event …`.
        case success(ReplyRecord)
        /// `CODE error-key human text` (codes 4xx and 5xx).
        case failure(ProtocolError)
    }

    public var code: ReplyCode
    public var records: [ReplyRecord]
    public var final: Final

    public init(code: ReplyCode, records: [ReplyRecord] = [], final: Final) {
        self.code = code
        self.records = records
        self.final = final
    }

    /// `250 OK` with these records and final fields.
    public static func ok(_ records: [ReplyRecord] = [], words: [String] = [], fields: [Field] = []) -> Reply {
        Reply(code: .ok, records: records, final: .success(ReplyRecord("OK", words: words, fields: fields)))
    }

    /// An error reply, its records first (`553-missing …` before `553 requirements-unmet …`).
    public static func error(_ error: ProtocolError, records: [ReplyRecord] = []) -> Reply {
        Reply(code: error.code, records: records, final: .failure(error))
    }

    /// The error this reply reports, or nil for a success.
    public var error: ProtocolError? {
        if case .failure(let error) = final { return error }
        return nil
    }

    /// The final line's record for a success, or nil for an error.
    public var status: ReplyRecord? {
        if case .success(let record) = final { return record }
        return nil
    }
}

/// The asynchronous line a watcher receives for each new audit event:
/// `650 event chain=… seq=… action=… actor=… state=…`.
public struct WatchEvent: Sendable, Hashable {
    public var chain: String
    public var seq: Int
    public var action: String
    public var actor: String
    public var state: String

    public init(chain: String, seq: Int, action: String, actor: String, state: String) {
        self.chain = chain
        self.seq = seq
        self.action = action
        self.actor = actor
        self.state = state
    }

    /// Reads an event from a parsed `650` reply; nil if it is not an `event`
    /// line or lacks one of the five fields (other fields are ignored).
    public init?(_ reply: Reply) {
        guard reply.code == .event, let record = reply.status, record.type == "event",
              let chain = record["chain"], let seq = record["seq"].flatMap({ Int($0) }),
              let action = record["action"], let actor = record["actor"], let state = record["state"]
        else { return nil }
        self.init(chain: chain, seq: seq, action: action, actor: actor, state: state)
    }

    public var reply: Reply {
        Reply(code: .event, final: .success(ReplyRecord("event", fields: [
            Field("chain", chain), Field("seq", String(seq)), Field("action", action),
            Field("actor", actor), Field("state", state),
        ])))
    }
}
