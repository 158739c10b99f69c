/// One `key=value` pair: a keyed argument of a request, or a field of a reply record.
public struct Field: Sendable, Hashable, CustomStringConvertible {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }

    /// As on the wire: `key=value`, the value quoted when it has to be.
    public var description: String { key + "=" + Quoting.quotedIfNeeded(value) }
}

extension Array where Element == Field {
    /// The value of the first field with this key (keys are case-sensitive).
    public subscript(key: String) -> String? {
        first { $0.key == key }?.value
    }
}
