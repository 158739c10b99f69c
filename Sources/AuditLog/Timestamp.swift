/// A point in time, in whole microseconds since 1970-01-01T00:00:00Z (UTC).
///
/// Microseconds because the audit format writes exactly six fractional digits:
/// a `Timestamp` round-trips through its RFC 3339 text without loss.
/// The core never reads a clock; time is always an input.
public struct Timestamp: Sendable, Hashable, Comparable {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    public init(seconds: Int64) { self.microseconds = seconds * 1_000_000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    public func adding(seconds: Int64) -> Timestamp { Timestamp(microseconds: microseconds + seconds * 1_000_000) }
    public func adding(microseconds delta: Int64) -> Timestamp { Timestamp(microseconds: microseconds + delta) }

    /// Microseconds from `other` to `self` (negative when `other` is later).
    public func microseconds(since other: Timestamp) -> Int64 { microseconds - other.microseconds }
}
