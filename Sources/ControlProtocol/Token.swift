/// One space-separated piece of a request line or reply record:
/// `value`, `"quoted value"`, `key=value` or `key="quoted value"`.
struct Token: Equatable {
    var key: String?
    var value: String
    /// Whether the whole token was a quoted string (such a token is never a key
    /// and never a command word).
    var isQuoted: Bool
}

/// Splits a line into tokens by the shared grammar of requests and reply records.
///
/// - A bare token runs to the next SP or TAB; a DQUOTE inside it is a syntax error.
/// - A bare token holding `=` is `key=value`: the key is everything before the first
///   `=` and must match `[a-zA-Z0-9._-]+`, the value must not be empty (write `key=""`).
///   So a positional value holding `=` has to be quoted (the encoder does that).
/// - Inside quotes only `\"` `\\` `\n` `\r` `\t` are escapes; after the closing
///   quote comes a blank or the end of the line.
/// Runs of SP and TAB separate tokens; leading and trailing blanks are ignored.
struct Tokenizer {
    private let bytes: ArraySlice<UInt8>
    private var i: Int
    private var scratch: [UInt8] = []

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.i = bytes.startIndex
    }

    /// The byte offset (1-based) of the reading position, for messages.
    private var column: Int { i - bytes.startIndex + 1 }

    mutating func next() throws(ProtocolError) -> Token? {
        let end = bytes.endIndex
        while i < end && ASCII.isBlank(bytes[i]) { i += 1 }
        guard i < end else { return nil }
        if bytes[i] == ASCII.quote {
            return Token(key: nil, value: try quoted(), isQuoted: true)
        }
        let start = i
        var equals: Int?
        while i < end {
            let b = bytes[i]
            if ASCII.isBlank(b) { break }
            if b == ASCII.equals && equals == nil {
                equals = i
                let key = bytes[start..<i]
                guard ASCII.isValidKey(key) else {
                    throw .syntax(key.isEmpty ? "missing key before '=' at byte \(column)"
                        : "bad key '\(String(decoding: key, as: UTF8.self))' (keys are letters, digits, '.', '_', '-')")
                }
                i += 1
                if i < end && bytes[i] == ASCII.quote {
                    return Token(key: String(decoding: key, as: UTF8.self), value: try quoted(), isQuoted: false)
                }
                continue
            }
            if b == ASCII.quote { throw .syntax("stray '\"' at byte \(column)") }
            i += 1
        }
        guard let equals else {
            return Token(key: nil, value: String(decoding: bytes[start..<i], as: UTF8.self), isQuoted: false)
        }
        guard equals + 1 < i else { throw .syntax("empty value after '=' at byte \(column) (write key=\"\")") }
        return Token(key: String(decoding: bytes[start..<equals], as: UTF8.self),
                     value: String(decoding: bytes[(equals + 1)..<i], as: UTF8.self), isQuoted: false)
    }

    /// Reads `"…"` starting at the opening quote.
    private mutating func quoted() throws(ProtocolError) -> String {
        let opening = column
        i += 1
        let contentStart = i
        let end = bytes.endIndex
        // Fast path: no escapes, the content is a plain slice.
        while i < end && bytes[i] != ASCII.quote && bytes[i] != ASCII.backslash { i += 1 }
        if i < end && bytes[i] == ASCII.quote {
            let value = String(decoding: bytes[contentStart..<i], as: UTF8.self)
            i += 1
            try expectSeparator()
            return value
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: bytes[contentStart..<i])
        while i < end {
            let b = bytes[i]
            if b == ASCII.quote {
                i += 1
                try expectSeparator()
                return String(decoding: scratch, as: UTF8.self)
            }
            if b == ASCII.backslash {
                guard i + 1 < end else { break }
                switch bytes[i + 1] {
                case ASCII.quote: scratch.append(ASCII.quote)
                case ASCII.backslash: scratch.append(ASCII.backslash)
                case UInt8(ascii: "n"): scratch.append(ASCII.lf)
                case UInt8(ascii: "r"): scratch.append(ASCII.cr)
                case UInt8(ascii: "t"): scratch.append(ASCII.tab)
                default:
                    throw .syntax("bad escape '\\\(String(decoding: bytes[(i + 1)...].prefix(1), as: UTF8.self))' at byte \(column) (allowed: \\\" \\\\ \\n \\r \\t)")
                }
                i += 2
                continue
            }
            scratch.append(b)
            i += 1
        }
        throw .syntax("unbalanced quote opened at byte \(opening)")
    }

    private func expectSeparator() throws(ProtocolError) {
        if i < bytes.endIndex && !ASCII.isBlank(bytes[i]) {
            throw .syntax("text right after a closing quote at byte \(column)")
        }
    }
}
