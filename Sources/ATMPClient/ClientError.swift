import ControlProtocol

/// An error reply from the server: its code, error key, human text, and the
/// records before the final line (`553-missing …`, `554-error …`, `557-broken …`).
public struct ReplyFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: ReplyCode
    public var key: String
    public var text: String
    public var records: [ReplyRecord]

    public init(code: ReplyCode, key: String, text: String, records: [ReplyRecord] = []) {
        self.code = code
        self.key = key
        self.text = text
        self.records = records
    }

    /// The failure a reply reports, nil for a success.
    public init?(_ reply: Reply) {
        guard let error = reply.error else { return nil }
        self.init(code: reply.code, key: error.key.rawValue, text: error.message, records: reply.records)
    }

    /// `CODE error-key: text`, as atmpctl prints it after `atmpctl: `.
    public var description: String { "\(code) \(key): \(text)" }
}

/// Everything that can go wrong talking to the daemon.
public enum ClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The server answered with an error reply (4xx/5xx).
    case refused(ReplyFailure)
    /// No connection could be made (no socket, connection refused, unknown host).
    case cannotConnect(endpoint: String, reason: String)
    /// The server greeted with something other than `220` (`452 too-busy`, say).
    case unexpectedGreeting(String)
    /// The server closed the connection before a reply was complete.
    case connectionClosed
    /// No reply within the timeout.
    case timedOut
    /// The server broke the protocol; the connection is closed.
    case malformedReply(String)
    /// Reading or writing the socket failed.
    case io(String)
    /// The options do not make sense together.
    case usage(String)

    public var description: String {
        switch self {
        case .refused(let failure): return failure.description
        case .cannotConnect(let endpoint, let reason): return "cannot connect to \(endpoint): \(reason)"
        case .unexpectedGreeting(let line): return "the server did not greet: \(line)"
        case .connectionClosed: return "the server closed the connection"
        case .timedOut: return "no reply from the server in time"
        case .malformedReply(let why): return "the server broke the protocol: \(why)"
        case .io(let why): return why
        case .usage(let why): return why
        }
    }

    /// The failure reply, when this is one.
    public var failure: ReplyFailure? {
        if case .refused(let failure) = self { return failure }
        return nil
    }
}
