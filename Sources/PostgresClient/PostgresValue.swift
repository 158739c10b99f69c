/// A query parameter. Parameters travel to the server separately from the
/// SQL text (`$1`, `$2`, … placeholders) — in PostgreSQL's text format, an
/// array in its binary format — so a value can never change the meaning of
/// a statement.
///
/// A `nil` in a parameter array is SQL NULL.
public enum PostgresValue: Sendable, Hashable {
    case text(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    /// Binary data, for `bytea` columns (sent in hex form, `\x…`).
    case bytes([UInt8])
    /// A one-dimensional array, sent in binary format.
    case array(PostgresArray)

    /// How the value goes on the wire.
    enum Encoding {
        /// Text format, NUL-terminated for libpq.
        case text(String)
        /// Binary format, with its length.
        case binary([UInt8])
    }

    /// Scalars in the text format PostgreSQL parses on input; arrays in
    /// binary.
    var encoding: Encoding {
        switch self {
        case .text(let string): return .text(string)
        case .int(let value): return .text(String(value))
        case .double(let value): return .text(String(value))  // "inf", "nan" are accepted too
        case .bool(let value): return .text(value ? "t" : "f")
        case .bytes(let bytes): return .text("\\x" + Hex.encode(bytes))
        case .array(let array): return .binary(array.binaryEncoding)
        }
    }
}

extension PostgresValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// Lower-case hexadecimal, as PostgreSQL's `bytea` hex format uses.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes pairs of hex digits (either case); nil on any other character
    /// or an odd count.
    static func decode<S: Collection>(_ text: S) -> [UInt8]? where S.Element == UInt8 {
        guard text.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(text.count / 2)
        var high: UInt8?
        for char in text {
            guard let nibble = value(of: char) else { return nil }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return out
    }

    private static func value(of char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return char - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
