/// Writes replies as the server sends them: every line, data lines and the
/// closing `.` included, ends with CRLF.
public enum ReplyEncoder {
    public static func encode(_ reply: Reply) -> [UInt8] {
        var out: [UInt8] = []
        append(reply, to: &out)
        return out
    }

    public static func encode(_ event: WatchEvent) -> [UInt8] { encode(event.reply) }

    /// Appends `reply` to `out` (the daemon reuses one buffer per connection).
    public static func append(_ reply: Reply, to out: inout [UInt8]) {
        for record in reply.records {
            appendCode(reply.code, to: &out)
            out.append(record.data == nil ? ASCII.minus : ASCII.plus)
            append(record, to: &out)
            out.append(contentsOf: ASCII.crlf)
            if let data = record.data { DataBlock.append(data, to: &out) }
        }
        appendCode(reply.code, to: &out)
        out.append(ASCII.space)
        switch reply.final {
        case .success(let record):
            append(record, to: &out)
        case .failure(let error):
            out.append(contentsOf: error.key.rawValue.utf8)
            let text = sanitized(error.message)
            if !text.isEmpty {
                out.append(ASCII.space)
                out.append(contentsOf: text)
            }
        }
        out.append(contentsOf: ASCII.crlf)
    }

    /// `type word… key=value…`. Types and keys are the program's own constants;
    /// a key that is not a valid key is a bug, caught in debug builds.
    private static func append(_ record: ReplyRecord, to out: inout [UInt8]) {
        out.append(contentsOf: record.type.utf8)
        for word in record.words {
            out.append(ASCII.space)
            Quoting.append(word, to: &out)
        }
        for field in record.fields {
            assert(ASCII.isValidKey(field.key), "invalid reply field key \(field.key)")
            out.append(ASCII.space)
            out.append(contentsOf: field.key.utf8)
            out.append(ASCII.equals)
            Quoting.append(field.value, to: &out)
        }
    }

    /// The three digits, written directly (no string or array per line).
    private static func appendCode(_ code: ReplyCode, to out: inout [UInt8]) {
        let value = code.rawValue
        precondition((100...999).contains(value), "reply codes have three digits")
        out.append(ASCII.zero &+ UInt8(truncatingIfNeeded: value / 100))
        out.append(ASCII.zero &+ UInt8(truncatingIfNeeded: value / 10 % 10))
        out.append(ASCII.zero &+ UInt8(truncatingIfNeeded: value % 10))
    }

    /// Human text goes unquoted to the end of the line, so control characters
    /// (CR and LF above all, which would forge a line) become spaces.
    static func sanitized(_ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x20 || b == 0x7F {
                bytes[i] = ASCII.space
            } else if b == 0xC2, i + 1 < bytes.count, (0x80...0x9F).contains(bytes[i + 1]) {
                bytes.replaceSubrange(i...(i + 1), with: [ASCII.space])
            }
            i += 1
        }
        return bytes
    }
}
