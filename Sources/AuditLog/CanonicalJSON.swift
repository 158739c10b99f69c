// RFC 8785 (JCS) canonical JSON for the values the audit format allows
// (no fractional numbers), written straight into a byte buffer.
//
// Rules, as AUDIT-FORMAT.md states them:
// - object members sorted by key in Unicode code-point order;
// - no whitespace;
// - strings escaped minimally: `\"`, `\\`, `\b \f \n \r \t`, every other
//   character below U+0020 as `\u00xx` (lowercase hex); all else literal UTF-8,
//   including U+007F and U+2028/U+2029;
// - integers in plain decimal.
//
// Key order — code points, not UTF-16. RFC 8785 §3.2.3 sorts keys by their
// UTF-16 code units. For keys made only of BMP characters (U+0000–U+FFFF) the
// two orders agree. They differ only when a key contains a character above
// U+FFFF (e.g. an emoji): its UTF-16 surrogate (0xD800–0xDFFF) sorts before
// BMP characters U+E000–U+FFFF, while its code point sorts after them. The
// audit contract says code-point order, which is also what Python's
// `sort_keys=True` does, so we follow the contract. UTF-8 byte order equals
// code-point order, so we compare keys' UTF-8 bytes.
//
// Note on Swift strings: `String ==` and `<` use Unicode canonical
// equivalence, so they must not be used to order keys; we only compare
// `utf8` views, which preserve the exact scalars written.

extension JSONValue {
    /// The canonical JSON bytes of this value.
    public func canonicalJSON() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        appendCanonicalJSON(to: &out)
        return out
    }

    /// Appends the canonical JSON of this value to `out`.
    public func appendCanonicalJSON(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: nullBytes)
        case .bool(true): out.append(contentsOf: trueBytes)
        case .bool(false): out.append(contentsOf: falseBytes)
        case .int(let value): CanonicalJSON.appendInteger(value, to: &out)
        case .string(let string): CanonicalJSON.appendString(string, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                element.appendCanonicalJSON(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            CanonicalJSON.appendObject(members, to: &out)
        }
    }
}

private let nullBytes: [UInt8] = Array("null".utf8)
private let trueBytes: [UInt8] = Array("true".utf8)
private let falseBytes: [UInt8] = Array("false".utf8)

/// The byte-level writers behind `JSONValue.appendCanonicalJSON(to:)`, shared
/// with `AuditEvent`, which writes its fixed members without building a
/// dictionary, and public for writers of known shapes (CaseEngine's case events).
public enum CanonicalJSON {
    /// Appends `{…}` with members in code-point order of their keys.
    public static func appendObject(_ members: [String: JSONValue], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        if members.count == 1, let (key, value) = members.first {
            appendMember(key, value, to: &out)
        } else if members.count <= 8 {
            appendSmallObjectMembers(members, to: &out)
        } else {
            let sorted = members.sorted { codePointPrecedes($0.key, $1.key) }
            var first = true
            for (key, value) in sorted {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                appendMember(key, value, to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The members of a small object (audit `data` has a handful), in key order,
    /// by picking the next-smallest key each round: at most 8 × 8 key
    /// comparisons and, unlike sorting, no array to allocate.
    private static func appendSmallObjectMembers(_ members: [String: JSONValue], to out: inout [UInt8]) {
        var previous: Dictionary<String, JSONValue>.Index?
        for round in 0..<members.count {
            var next: Dictionary<String, JSONValue>.Index?
            var index = members.startIndex
            while index != members.endIndex {
                let key = members[index].key
                if previous.map({ codePointPrecedes(members[$0].key, key) }) ?? true,
                   next.map({ codePointPrecedes(key, members[$0].key) }) ?? true {
                    next = index
                }
                index = members.index(after: index)
            }
            guard let chosen = next else { return }  // unreachable: keys are distinct
            if round > 0 { out.append(UInt8(ascii: ",")) }
            let (key, value) = members[chosen]
            appendMember(key, value, to: &out)
            previous = chosen
        }
    }

    @inline(__always)
    static func appendMember(_ key: String, _ value: JSONValue, to out: inout [UInt8]) {
        appendString(key, to: &out)
        out.append(UInt8(ascii: ":"))
        value.appendCanonicalJSON(to: &out)
    }

    /// Code-point order, via UTF-8 bytes (the two orders are the same).
    public static func codePointPrecedes(_ a: String, _ b: String) -> Bool {
        // Keys are native strings, so their UTF-8 is contiguous; the fallback
        // (bridged strings) compares the views lexicographically.
        let fast = a.utf8.withContiguousStorageIfAvailable { left in
            b.utf8.withContiguousStorageIfAvailable { right in
                let common = min(left.count, right.count)
                var i = 0
                while i < common {
                    if left[i] != right[i] { return left[i] < right[i] }
                    i += 1
                }
                return left.count < right.count
            }
        }
        if let result = fast ?? nil { return result }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Appends a quoted, minimally escaped string.
    public static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { appendEscaped($0, to: &out) }
        if done == nil {
            var copy = string  // not contiguous (bridged): `withUTF8` makes it so
            copy.withUTF8 { appendEscaped($0, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Copies `bytes`, escaping what JSON requires; runs that need no escaping
    /// (usually the whole string) are copied in one go.
    @inline(__always)
    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        guard let base = bytes.baseAddress else { return }
        var runStart = 0
        var index = 0
        let count = bytes.count
        while index < count {
            // Eight bytes at a time while none of them needs escaping.
            if index &+ 8 <= count,
               !mayNeedEscaping(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) {
                index &+= 8
                continue
            }
            let byte = bytes[index]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                index &+= 1
                continue
            }
            if runStart < index { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
            appendEscape(for: byte, to: &out)
            index &+= 1
            runStart = index
        }
        if runStart < count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<count])) }
    }

    /// Whether any of the eight bytes in `word` is below 0x20, `"` or `\\`
    /// (exact: the classic "has a zero byte" bit trick, see Hacker's Delight 6-1).
    @inline(__always)
    private static func mayNeedEscaping(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let below20 = (word &- ones &* 0x20) & ~word
        let isQuote = (quote &- ones) & ~quote
        let isBackslash = (backslash &- ones) & ~backslash
        return (below20 | isQuote | isBackslash) & highs != 0
    }

    @inline(__always)
    private static func appendEscape(for byte: UInt8, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        default:
            out.append(UInt8(ascii: "u"))
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "0"))
            out.append(lowercaseHexDigits[Int(byte >> 4)])
            out.append(lowercaseHexDigits[Int(byte & 0x0F)])
        }
    }

    /// Appends a plain decimal integer (no `+`, no leading zeros, `-` only when negative).
    public static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        // The magnitude as UInt64 covers Int64.min without overflow.
        var magnitude = value.magnitude
        if magnitude == 0 { out.append(UInt8(ascii: "0")); return }
        // At most 20 digits; write them backwards into a fixed scratch tuple.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { scratch in
            while magnitude > 0 {
                count += 1
                scratch[24 - count] = UInt8(truncatingIfNeeded: magnitude % 10) &+ UInt8(ascii: "0")
                magnitude /= 10
            }
            out.append(contentsOf: scratch[(24 - count)..<24])
        }
    }
}

/// `0123456789abcdef` as bytes.
let lowercaseHexDigits: [UInt8] = Array("0123456789abcdef".utf8)
