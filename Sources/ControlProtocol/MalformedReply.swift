/// A reply that breaks the protocol (client side). The stream cannot be trusted
/// to be in step afterwards: the client should close the connection.
public struct MalformedReply: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// The offending line, decoded leniently, for diagnostics.
    public var line: String

    public init(_ message: String, line: String) {
        self.message = message
        self.line = line
    }

    public var description: String { "malformed reply: \(message): \(line)" }
}
