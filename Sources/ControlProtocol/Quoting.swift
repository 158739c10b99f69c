/// How values are written on the wire: bare when that is unambiguous, else
/// quoted with the five escapes `\"` `\\` `\n` `\r` `\t`.
public enum Quoting {
    /// A value needs quotes when it is empty, or holds SP, TAB, DQUOTE, backslash,
    /// `=` (a bare positional value with `=` would read as `key=value`), or any
    /// control character. Everything else, unicode included, goes bare.
    public static func needsQuotes(_ value: String) -> Bool {
        // A native string's bytes are contiguous; scanning them directly is
        // several times cheaper than iterating the UTF-8 view.
        if let answer = value.utf8.withContiguousStorageIfAvailable({ needsQuotes($0) }) { return answer }
        return needsQuotes(value.utf8)
    }

    private static func needsQuotes(_ utf8: some Collection<UInt8>) -> Bool {
        if utf8.isEmpty { return true }
        for b in utf8 {
            switch b {
            case 0x00...0x20, 0x7F, ASCII.quote, ASCII.backslash, ASCII.equals: return true
            case 0xC2: return true  // lead byte of C1 controls (U+0080–U+009F) and of NBSP; quoting is harmless
            default: continue
            }
        }
        return false
    }

    public static func quotedIfNeeded(_ value: String) -> String {
        var out: [UInt8] = []
        append(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `value` as it goes on the wire.
    static func append(_ value: String, to out: inout [UInt8]) {
        guard needsQuotes(value) else {
            out.append(contentsOf: value.utf8)
            return
        }
        out.append(ASCII.quote)
        let copied: Void? = value.utf8.withContiguousStorageIfAvailable { appendEscaped($0, to: &out) }
        if copied == nil {
            for b in value.utf8 { appendEscaped(CollectionOfOne(b), to: &out) }
        }
        out.append(ASCII.quote)
    }

    /// Appends `bytes` with the five escapes, copying the runs between them whole.
    private static func appendEscaped(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        var run = bytes.startIndex
        var i = bytes.startIndex
        while i != bytes.endIndex {
            let escape: UInt8
            switch bytes[i] {
            case ASCII.quote: escape = ASCII.quote
            case ASCII.backslash: escape = ASCII.backslash
            case ASCII.lf: escape = UInt8(ascii: "n")
            case ASCII.cr: escape = UInt8(ascii: "r")
            case ASCII.tab: escape = UInt8(ascii: "t")
            default:
                bytes.formIndex(after: &i)
                continue
            }
            out.append(contentsOf: bytes[run..<i])
            out.append(ASCII.backslash)
            out.append(escape)
            bytes.formIndex(after: &i)
            run = i
        }
        out.append(contentsOf: bytes[run...])
    }
}
