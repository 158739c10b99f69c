/// A three-digit reply code, as in SMTP: the first digit says how it went
/// (2 success, 4 transient failure, 5 permanent failure, 6 asynchronous).
///
/// A struct rather than an enum so that codes can be added without breaking
/// the `switch` statements of client code.
public struct ReplyCode: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible,
    ExpressibleByIntegerLiteral {
    public var rawValue: Int

    public init(rawValue: Int) { self.rawValue = rawValue }
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public init(integerLiteral value: Int) { self.rawValue = value }

    public static func < (lhs: ReplyCode, rhs: ReplyCode) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }

    /// Whether the final line of a reply with this code is an error line
    /// (`CODE error-key human text`) rather than fields (`250 OK k=v`).
    public var isError: Bool { (400..<600).contains(rawValue) }
    /// Whether this is an asynchronous line that belongs to no request.
    public var isAsynchronous: Bool { (600..<700).contains(rawValue) }

    public static let greeting = ReplyCode(220)
    public static let ok = ReplyCode(250)
    public static let closing = ReplyCode(421)
    public static let versionConflict = ReplyCode(450)
    public static let storageUnavailable = ReplyCode(451)
    public static let tooBusy = ReplyCode(452)
    /// Shared by `syntax`, `unknown-command`, `line-too-long` and `bad-encoding`.
    public static let syntaxError = ReplyCode(500)
    public static let badArgument = ReplyCode(501)
    public static let badSequence = ReplyCode(503)
    public static let authRequired = ReplyCode(530)
    public static let authFailed = ReplyCode(535)
    public static let notFound = ReplyCode(550)
    public static let forbidden = ReplyCode(551)
    public static let notAllowedNow = ReplyCode(552)
    public static let requirementsUnmet = ReplyCode(553)
    public static let invalidTemplate = ReplyCode(554)
    public static let idempotencyMismatch = ReplyCode(555)
    public static let auditBroken = ReplyCode(557)
    public static let event = ReplyCode(650)

    /// Every code of protocol version 1.
    public static let all: [ReplyCode] = [
        .greeting, .ok, .closing, .versionConflict, .storageUnavailable, .tooBusy, .syntaxError,
        .badArgument, .badSequence, .authRequired, .authFailed, .notFound, .forbidden, .notAllowedNow,
        .requirementsUnmet, .invalidTemplate, .idempotencyMismatch, .auditBroken, .event,
    ]
}
