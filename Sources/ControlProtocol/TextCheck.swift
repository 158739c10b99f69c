/// The encoding rule for request lines: well-formed UTF-8 with no control
/// characters except TAB. Control characters are Unicode's `Cc` class: C0
/// (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F).
enum TextCheck {
    /// The first reason `bytes` break the rule, as a `bad-encoding` error, or nil.
    /// One pass, no allocation: the hot path for every request line.
    static func problem(in bytes: ArraySlice<UInt8>) -> ProtocolError? {
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let b = bytes[i]
            if b < 0x80 {
                if (b < 0x20 && b != ASCII.tab) || b == 0x7F { return control(UInt32(b), at: i - bytes.startIndex) }
                i += 1
                continue
            }
            // Well-formed sequences, Unicode 15 table 3-7: the second byte's range
            // depends on the first (no overlongs, no surrogates, nothing past U+10FFFF).
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            let continuation: Int
            switch b {
            case 0xC2...0xDF: continuation = 1
            case 0xE0: continuation = 2; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: continuation = 2
            case 0xED: continuation = 2; high = 0x9F
            case 0xF0: continuation = 3; low = 0x90
            case 0xF1...0xF3: continuation = 3
            case 0xF4: continuation = 3; high = 0x8F
            default: return invalid(at: i - bytes.startIndex)
            }
            guard end - i > continuation, (low...high).contains(bytes[i + 1]) else {
                return invalid(at: i - bytes.startIndex)
            }
            var k = 2
            while k <= continuation {
                guard (0x80...0xBF).contains(bytes[i + k]) else { return invalid(at: i - bytes.startIndex) }
                k += 1
            }
            if b == 0xC2 && bytes[i + 1] <= 0x9F { return control(UInt32(bytes[i + 1]), at: i - bytes.startIndex) }
            i += continuation + 1
        }
        return nil
    }

    private static func invalid(at offset: Int) -> ProtocolError {
        .badEncoding("invalid UTF-8 at byte \(offset + 1)")
    }

    private static func control(_ scalar: UInt32, at offset: Int) -> ProtocolError {
        let hex = String(scalar, radix: 16, uppercase: true)
        return .badEncoding("control character U+\(String(repeating: "0", count: 4 - hex.count))\(hex) at byte \(offset + 1)")
    }
}
