// A small, strict JSON parser (RFC 8259) for the audit value domain.
//
// Why our own: Foundation's JSONSerialization turns integers into doubles
// (losing precision above 2^53) and accepts things a verifier must refuse.
// Beyond RFC 8259 this parser rejects what the audit format forbids or what
// would make a trail ambiguous: fractional numbers and exponents, integers
// outside Int64, duplicate keys, invalid UTF-8, and lone surrogates in
// `\u` escapes. Whitespace between tokens is accepted (it is valid JSON);
// whether a line is *canonical* is a separate check (`TrailVerifier`).

/// Why bytes are not acceptable JSON; `offset` is the 0-based byte offset of the problem.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public init(offset: Int, message: String) { self.offset = offset; self.message = message }
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension JSONValue {
    /// Parses exactly one JSON value filling all of `bytes` (surrounding whitespace allowed).
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) -> JSONValue in
                var parser = JSONParser(bytes: buffer)
                return try parser.parseDocument()
            }
        } ?? Array(bytes).withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) -> JSONValue in
                var parser = JSONParser(bytes: buffer)
                return try parser.parseDocument()
            }
        }
        return try result.get()
    }
}

/// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
let maximumJSONDepth = 100

struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    var depth = 0
    /// Reused buffer for strings that need unescaping.
    var scratch: [UInt8] = []
    /// Reads numbers the audit format forbids (fractions, exponents, beyond
    /// Int64) as `null` instead of failing; only used to find the chain of a
    /// bad trail line, never to accept an event.
    var toleratesAnyNumber = false

    init(bytes: UnsafeBufferPointer<UInt8>, toleratesAnyNumber: Bool = false) {
        self.bytes = bytes
        self.toleratesAnyNumber = toleratesAnyNumber
    }

    /// Parses a document, tolerating any JSON number (see `toleratesAnyNumber`).
    static func parseTolerantly(_ bytes: some Collection<UInt8>) -> JSONValue? {
        let array = Array(bytes)
        return array.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer, toleratesAnyNumber: true)
            return try? parser.parseDocument()
        }
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if position < bytes.count { throw error("unexpected data after the JSON value") }
        return value
    }

    // MARK: Values

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard position < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            if toleratesAnyNumber {
                let start = position
                if let value = try? parseInteger() { return .int(value) }
                position = start
                skipAnyNumber()
                return .null
            }
            return .int(try parseInteger())
        default: throw error("unexpected character \(describe(bytes[position])), expected a value")
        }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        position += 1  // {
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a member name in double quotes") }
            let keyOffset = position
            let key = try parseString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after member name") }
            position += 1
            skipWhitespace()
            let value = try parseValue()
            // Swift compares dictionary keys by canonical equivalence, so two
            // keys differing only in Unicode normalization also count as
            // duplicates here — stricter than JSON, and never produced by us.
            if members.updateValue(value, forKey: key) != nil {
                throw JSONParseError(offset: keyOffset, message: "duplicate member name \"\(key)\"")
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return .object(members)
            default: throw error("expected ',' or '}' in object")
            }
        }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        position += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return .array(elements)
            default: throw error("expected ',' or ']' in array")
            }
        }
    }

    mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > maximumJSONDepth { throw error("nesting deeper than \(maximumJSONDepth) levels") }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let text = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        guard position + count <= bytes.count, bytes[position..<(position + count)].elementsEqual(text) else {
            throw error("invalid literal, expected \(literal)")
        }
        position += count
    }

    // MARK: Numbers

    /// An integer: `-? (0 | [1-9][0-9]*)`, within Int64; fractions and exponents refused.
    mutating func parseInteger() throws(JSONParseError) -> Int64 {
        let start = position
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        guard let first = peek(), isDigit(first) else { throw error("expected a digit") }
        if first == UInt8(ascii: "0"), let next = peek(at: position + 1), isDigit(next) {
            throw JSONParseError(offset: position, message: "numbers must not have leading zeros")
        }
        // Accumulate as a negative number so Int64.min fits.
        var value: Int64 = 0
        while let byte = peek(), isDigit(byte) {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { throw JSONParseError(offset: start, message: "integer out of 64-bit range") }
            value = next
            position += 1
        }
        if let byte = peek(), byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            throw JSONParseError(offset: start, message: "fractional numbers and exponents are not allowed")
        }
        if negative { return value }
        guard value != .min else { throw JSONParseError(offset: start, message: "integer out of 64-bit range") }
        return -value
    }

    /// Skips a number's characters without judging them (tolerant mode only).
    mutating func skipAnyNumber() {
        while let byte = peek(), isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
        {
            position += 1
        }
    }

    // MARK: Strings

    /// A string starting at the opening quote; validates UTF-8 and escapes.
    mutating func parseString() throws(JSONParseError) -> String {
        position += 1  // opening quote
        let start = position
        // Fast path: plain ASCII with no escapes, the common case for audit data.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let string = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                position += 1
                return string
            }
            if byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\\") { break }
            position += 1
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while true {
            guard position < bytes.count else {
                throw JSONParseError(offset: start - 1, message: "unterminated string")
            }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: scratch, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape()
            case 0..<0x20:
                throw error("control character \(describe(byte)) must be escaped in a string")
            case 0..<0x80:
                scratch.append(byte)
                position += 1
            default:
                try copyUTF8Sequence()
            }
        }
    }

    /// One escape sequence at `position` (the backslash), appended to `scratch` as UTF-8.
    mutating func parseEscape() throws(JSONParseError) {
        let escapeStart = position
        guard let kind = peek(at: position + 1) else { throw error("unterminated escape sequence") }
        position += 2
        switch kind {
        case UInt8(ascii: "\""): scratch.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): scratch.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): scratch.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try parseHex4())
            if (0xDC00...0xDFFF).contains(scalar) {
                throw JSONParseError(offset: escapeStart, message: "lone low surrogate in \\u escape")
            }
            if (0xD800...0xDBFF).contains(scalar) {
                guard peek() == UInt8(ascii: "\\"), peek(at: position + 1) == UInt8(ascii: "u") else {
                    throw JSONParseError(offset: escapeStart, message: "lone high surrogate in \\u escape")
                }
                position += 2
                let low = UInt32(try parseHex4())
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONParseError(offset: escapeStart, message: "high surrogate not followed by a low surrogate")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            // Every value left is a valid scalar (surrogates handled above).
            scratch.append(contentsOf: Unicode.Scalar(scalar)!.utf8)
        default:
            throw JSONParseError(offset: escapeStart, message: "invalid escape sequence \\\(describe(kind))")
        }
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt16 {
        guard position + 4 <= bytes.count else { throw error("\\u escape needs four hex digits") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("\\u escape needs four hex digits")
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629: no overlong forms, no
    /// surrogates, nothing above U+10FFFF) and copies it to `scratch`.
    mutating func copyUTF8Sequence() throws(JSONParseError) {
        let lead = bytes[position]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw error("invalid UTF-8 byte \(describe(lead))")
        }
        guard position + length <= bytes.count else { throw error("truncated UTF-8 sequence") }
        guard secondRange.contains(bytes[position + 1]) else {
            throw JSONParseError(offset: position + 1, message: "invalid UTF-8 sequence")
        }
        for i in 2..<length where !(0x80...0xBF).contains(bytes[position + i]) {
            throw JSONParseError(offset: position + i, message: "invalid UTF-8 sequence")
        }
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[position..<(position + length)]))
        position += length
    }

    // MARK: Helpers

    @inline(__always) func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }
    @inline(__always) func peek(at index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }
    @inline(__always) func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    mutating func skipWhitespace() {
        while let byte = peek(),
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
        {
            position += 1
        }
    }

    func error(_ message: String) -> JSONParseError {
        JSONParseError(offset: position, message: position >= bytes.count && !message.hasPrefix("unexpected end")
            ? message + " (at end of input)" : message)
    }
}

/// A byte for an error message: printable ASCII as itself, anything else in hex.
func describe(_ byte: UInt8) -> String {
    if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
    let hex = String(byte, radix: 16)
    return "0x" + (hex.count == 1 ? "0" + hex : hex)
}
