/// A failure the protocol reports to the peer as an error line:
/// `CODE error-key human text`.
///
/// Shaped like swift-service-lifecycle's errors: a struct with static
/// constructors, so keys can be added without breaking anyone's `switch`.
public struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public typealias Code = ReplyCode

    public var key: ErrorKey
    /// For people only; programs test `key`.
    public var message: String

    public var code: Code { key.code }

    public init(_ key: ErrorKey, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "\(code) \(key) \(message)" }

    public static func syntax(_ message: String) -> ProtocolError { .init(.syntax, message) }
    public static func unknownCommand(_ message: String) -> ProtocolError { .init(.unknownCommand, message) }
    public static func lineTooLong(_ message: String) -> ProtocolError { .init(.lineTooLong, message) }
    public static func badEncoding(_ message: String) -> ProtocolError { .init(.badEncoding, message) }
    public static func badArgument(_ message: String) -> ProtocolError { .init(.badArgument, message) }
    public static func badSequence(_ message: String) -> ProtocolError { .init(.badSequence, message) }
    public static func versionConflict(_ message: String) -> ProtocolError { .init(.versionConflict, message) }
    public static func storageUnavailable(_ message: String) -> ProtocolError { .init(.storageUnavailable, message) }
    public static func tooBusy(_ message: String) -> ProtocolError { .init(.tooBusy, message) }
    public static func authRequired(_ message: String) -> ProtocolError { .init(.authRequired, message) }
    public static func authFailed(_ message: String) -> ProtocolError { .init(.authFailed, message) }
    public static func notFound(_ message: String) -> ProtocolError { .init(.notFound, message) }
    public static func forbidden(_ message: String) -> ProtocolError { .init(.forbidden, message) }
    public static func notAllowedNow(_ message: String) -> ProtocolError { .init(.notAllowedNow, message) }
    public static func requirementsUnmet(_ message: String) -> ProtocolError { .init(.requirementsUnmet, message) }
    public static func invalidTemplate(_ message: String) -> ProtocolError { .init(.invalidTemplate, message) }
    public static func idempotencyMismatch(_ message: String) -> ProtocolError { .init(.idempotencyMismatch, message) }
    public static func auditBroken(_ message: String) -> ProtocolError { .init(.auditBroken, message) }
}
