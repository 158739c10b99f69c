/// The stable kebab-case word after the code on an error line, which programs
/// test (the human text after it is not for programs), with the code it goes with.
///
/// Open like `ReplyCode`: a client parsing a key it does not know still gets a
/// value, `ErrorKey(rawValue: "new-thing", code: 5xx)`.
public struct ErrorKey: Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public var code: ReplyCode

    public init(rawValue: String, code: ReplyCode) {
        self.rawValue = rawValue
        self.code = code
    }

    public var description: String { rawValue }

    public static let versionConflict = ErrorKey(rawValue: "version-conflict", code: .versionConflict)
    public static let storageUnavailable = ErrorKey(rawValue: "storage-unavailable", code: .storageUnavailable)
    public static let tooBusy = ErrorKey(rawValue: "too-busy", code: .tooBusy)
    public static let syntax = ErrorKey(rawValue: "syntax", code: .syntaxError)
    public static let unknownCommand = ErrorKey(rawValue: "unknown-command", code: .syntaxError)
    public static let lineTooLong = ErrorKey(rawValue: "line-too-long", code: .syntaxError)
    public static let badEncoding = ErrorKey(rawValue: "bad-encoding", code: .syntaxError)
    public static let badArgument = ErrorKey(rawValue: "bad-argument", code: .badArgument)
    public static let badSequence = ErrorKey(rawValue: "bad-sequence", code: .badSequence)
    public static let authRequired = ErrorKey(rawValue: "auth-required", code: .authRequired)
    public static let authFailed = ErrorKey(rawValue: "auth-failed", code: .authFailed)
    public static let notFound = ErrorKey(rawValue: "not-found", code: .notFound)
    public static let forbidden = ErrorKey(rawValue: "forbidden", code: .forbidden)
    public static let notAllowedNow = ErrorKey(rawValue: "not-allowed-now", code: .notAllowedNow)
    public static let requirementsUnmet = ErrorKey(rawValue: "requirements-unmet", code: .requirementsUnmet)
    public static let invalidTemplate = ErrorKey(rawValue: "invalid-template", code: .invalidTemplate)
    public static let idempotencyMismatch = ErrorKey(rawValue: "idempotency-mismatch", code: .idempotencyMismatch)
    public static let auditBroken = ErrorKey(rawValue: "audit-broken", code: .auditBroken)
    // The contract names no key for 421; these two are this project's (docs/protocol.md).
    public static let shuttingDown = ErrorKey(rawValue: "shutting-down", code: .closing)
    public static let idleTimeout = ErrorKey(rawValue: "idle-timeout", code: .closing)

    /// Every key of protocol version 1, plus the project's 421 keys.
    public static let all: [ErrorKey] = [
        .versionConflict, .storageUnavailable, .tooBusy, .syntax, .unknownCommand, .lineTooLong,
        .badEncoding, .badArgument, .badSequence, .authRequired, .authFailed, .notFound, .forbidden,
        .notAllowedNow, .requirementsUnmet, .invalidTemplate, .idempotencyMismatch, .auditBroken,
        .shuttingDown, .idleTimeout,
    ]

    /// The catalogued key with this word and code, or an uncatalogued one (keys
    /// are only meaningful together with their code: `syntax` is a 500).
    public static func named(_ word: String, code: ReplyCode) -> ErrorKey {
        all.first { $0.rawValue == word && $0.code == code } ?? ErrorKey(rawValue: word, code: code)
    }
}
