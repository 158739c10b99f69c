// Reading a few members of a large JSON object without building the rest.
//
// Why: a case list shows a dozen small fields of each case, while most of a
// stored case body is its documents, signatures and clocks. Building those
// as dictionaries, only to drop them, was most of the cost of a list page.

/// The member names `JSONValue.parseMembers` keeps, prepared once for
/// matching against raw bytes.
public struct JSONMemberNames: Sendable {
    public let names: [String]
    let utf8: [[UInt8]]
    public init(_ names: [String]) {
        self.names = names
        utf8 = names.map { Array($0.utf8) }
    }
}

extension JSONValue {
    /// Parses a JSON object and returns the values of the members named in
    /// `names`, in that order; nil for a member that is absent.
    ///
    /// The other members are checked for structure (balanced brackets,
    /// terminated strings, valid literals, the depth limit) and skipped, but
    /// not validated as strictly as `parse` does: their numbers and UTF-8 are
    /// not judged and their duplicate names are not detected. Use `parse`
    /// for untrusted input; this is for data the program itself wrote.
    public static func parseMembers(_ names: JSONMemberNames, of bytes: some Collection<UInt8>)
        throws(JSONParseError) -> [JSONValue?]
    {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) -> [JSONValue?] in
                var parser = JSONParser(bytes: buffer)
                return try parser.parseMembersDocument(names)
            }
        } ?? Array(bytes).withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) -> [JSONValue?] in
                var parser = JSONParser(bytes: buffer)
                return try parser.parseMembersDocument(names)
            }
        }
        return try result.get()
    }
}

extension JSONParser {
    mutating func parseMembersDocument(_ wanted: JSONMemberNames) throws(JSONParseError) -> [JSONValue?] {
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else { throw error("expected an object") }
        try enterContainer()
        position += 1
        var members = [JSONValue?](repeating: nil, count: wanted.utf8.count)
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
        } else {
            members: while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw error("expected a member name in double quotes") }
                let keyOffset = position
                let index = wantedIndex(nameAt: position, wanted.utf8)
                try skipString()  // a wanted name was already read by wantedIndex
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after member name") }
                position += 1
                skipWhitespace()
                if let index {
                    guard members[index] == nil else {
                        throw JSONParseError(offset: keyOffset, message: "duplicate member name \"\(wanted.names[index])\"")
                    }
                    members[index] = try parseValue()
                } else {
                    try skipValue()
                }
                skipWhitespace()
                switch peek() {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "}"): position += 1; break members
                default: throw error("expected ',' or '}' in object")
                }
            }
        }
        depth -= 1
        skipWhitespace()
        if position < bytes.count { throw error("unexpected data after the JSON value") }
        return members
    }

    /// Which of `wanted` the name starting at `start` (its opening quote) is,
    /// if any. Names with escapes are compared after unescaping.
    func wantedIndex(nameAt start: Int, _ wanted: [[UInt8]]) -> Int? {
        var end = start + 1
        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
            if bytes[end] == UInt8(ascii: "\\") {
                var copy = self
                copy.position = start
                // A name whose escapes do not decode matches nothing and is
                // skipped like any other unwanted part.
                guard let name = try? copy.parseString() else { return nil }
                return wanted.firstIndex { $0.elementsEqual(name.utf8) }
            }
            end += 1
        }
        let name = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[(start + 1)..<end]))
        return wanted.firstIndex { candidate in
            candidate.count == name.count && candidate.withUnsafeBytes { $0.elementsEqual(name) }
        }
    }

    /// Skips one value of any kind, checking its structure only.
    mutating func skipValue() throws(JSONParseError) {
        guard position < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): try skipContainer(close: UInt8(ascii: "}"), members: true)
        case UInt8(ascii: "["): try skipContainer(close: UInt8(ascii: "]"), members: false)
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): skipAnyNumber()
        default: throw error("unexpected character \(describe(bytes[position])), expected a value")
        }
    }

    mutating func skipContainer(close: UInt8, members: Bool) throws(JSONParseError) {
        try enterContainer()
        position += 1
        skipWhitespace()
        if peek() == close {
            position += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            if members {
                guard peek() == UInt8(ascii: "\"") else { throw error("expected a member name in double quotes") }
                try skipString()
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after member name") }
                position += 1
                skipWhitespace()
            }
            try skipValue()
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): position += 1
            case close:
                position += 1
                depth -= 1
                return
            default: throw error(members ? "expected ',' or '}' in object" : "expected ',' or ']' in array")
            }
        }
    }

    /// Skips a string starting at its opening quote: to the first quote not
    /// escaped by a backslash. Control characters are refused as in `parseString`.
    mutating func skipString() throws(JSONParseError) {
        let start = position
        position += 1
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "\""):
                position += 1
                return
            case UInt8(ascii: "\\"): position += 2
            case 0..<0x20: throw error("control character \(describe(bytes[position])) must be escaped in a string")
            default: position += 1
            }
        }
        throw JSONParseError(offset: start, message: "unterminated string")
    }
}
