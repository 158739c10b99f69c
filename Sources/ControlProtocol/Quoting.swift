/// How values are written on the wire: bare when that is unambiguous, else
/// quoted with the five escapes `\"` `\\` `\n` `\r` `\t`.
public enum Quoting {
    /// A value needs quotes when it is empty, or holds SP, TAB, DQUOTE, backslash,
    /// `=` (a bare positional value with `=` would read as `key=value`), or any
    /// control character. Everything else, unicode included, goes bare.
    public static func needsQuotes(_ value: String) -> Bool {
        let utf8 = value.utf8
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
        for b in value.utf8 {
            switch b {
            case ASCII.quote: out.append(ASCII.backslash); out.append(ASCII.quote)
            case ASCII.backslash: out.append(ASCII.backslash); out.append(ASCII.backslash)
            case ASCII.lf: out.append(ASCII.backslash); out.append(UInt8(ascii: "n"))
            case ASCII.cr: out.append(ASCII.backslash); out.append(UInt8(ascii: "r"))
            case ASCII.tab: out.append(ASCII.backslash); out.append(UInt8(ascii: "t"))
            default: out.append(b)
            }
        }
        out.append(ASCII.quote)
    }
}
