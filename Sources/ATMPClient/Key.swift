/// A key press as the shell's line editor understands it.
public enum Key: Sendable, Hashable {
    /// Printable text (one character, or several when pasted).
    case text(String)
    case left, right, home, end
    case backspace, delete
    case up, down
    case enter
    /// Ctrl-C: clear the line.
    case interrupt
    /// Ctrl-D: end of input on an empty line, else delete under the cursor.
    case endOfInput
    /// Ctrl-K: delete to the end of the line.
    case killToEnd
    /// Ctrl-U: delete to the start of the line.
    case killToStart
    /// Anything else (unknown escape sequences, other control keys): ignored.
    case ignored
}

/// Turns terminal bytes into keys: VT100/xterm escape sequences, control
/// characters, and UTF-8 text. Incremental, because a sequence may be split
/// across reads.
public struct KeyDecoder: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Bytes of an unfinished sequence are held (a lone ESC, say).
    public var isWaiting: Bool { !pending.isEmpty }

    /// Keys complete so far; an unfinished sequence waits for more bytes.
    public mutating func feed(_ bytes: [UInt8]) -> [Key] {
        pending += bytes
        var keys: [Key] = []
        var index = 0
        while index < pending.count {
            guard let (key, length) = decode(pending[index...]) else { break }
            if case .text(let text) = key, case .text(let previous)? = keys.last {
                keys[keys.count - 1] = .text(previous + text)
            } else {
                keys.append(key)
            }
            index += length
        }
        pending.removeFirst(index)
        return keys
    }

    /// A lone ESC with nothing after it: the user pressed Escape. Call when no
    /// more bytes came (the shell does after a short poll).
    public mutating func flush() -> [Key] {
        defer { pending = [] }
        return pending.isEmpty ? [] : [.ignored]
    }

    /// The key at the start of `bytes` and how many bytes it took; nil if incomplete.
    private func decode(_ bytes: ArraySlice<UInt8>) -> (Key, Int)? {
        let first = bytes[bytes.startIndex]
        switch first {
        case 0x1B: return escape(bytes)
        case 0x0D, 0x0A: return (.enter, 1)
        case 0x7F, 0x08: return (.backspace, 1)
        case 0x01: return (.home, 1)          // Ctrl-A
        case 0x02: return (.left, 1)          // Ctrl-B
        case 0x03: return (.interrupt, 1)     // Ctrl-C
        case 0x04: return (.endOfInput, 1)    // Ctrl-D
        case 0x05: return (.end, 1)           // Ctrl-E
        case 0x06: return (.right, 1)         // Ctrl-F
        case 0x0B: return (.killToEnd, 1)     // Ctrl-K
        case 0x0E: return (.down, 1)          // Ctrl-N
        case 0x10: return (.up, 1)            // Ctrl-P
        case 0x15: return (.killToStart, 1)   // Ctrl-U
        case 0x00..<0x20: return (.ignored, 1)
        default: return utf8(bytes)
        }
    }

    private func utf8(_ bytes: ArraySlice<UInt8>) -> (Key, Int)? {
        let first = bytes[bytes.startIndex]
        let length = first < 0x80 ? 1 : first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 1
        guard bytes.count >= length else { return nil }
        let scalarBytes = bytes.prefix(length)
        guard let text = String(validating: scalarBytes, as: UTF8.self) else { return (.ignored, 1) }
        return (.text(text), length)
    }

    /// `ESC [ …` (CSI) and `ESC O …` (SS3) sequences.
    private func escape(_ bytes: ArraySlice<UInt8>) -> (Key, Int)? {
        guard bytes.count >= 2 else { return nil }
        let introducer = bytes[bytes.startIndex + 1]
        if introducer == UInt8(ascii: "O") {
            guard bytes.count >= 3 else { return nil }
            return (final(bytes[bytes.startIndex + 2], parameter: nil), 3)
        }
        guard introducer == UInt8(ascii: "[") else { return (.ignored, 2) }
        // CSI: parameter bytes 0x30–0x3F, then one final byte 0x40–0x7E.
        var index = bytes.startIndex + 2
        var parameter = ""
        while index < bytes.endIndex {
            let byte = bytes[index]
            if (0x40...0x7E).contains(byte) {
                return (final(byte, parameter: parameter), index - bytes.startIndex + 1)
            }
            parameter.append(Character(Unicode.Scalar(byte)))
            index += 1
        }
        return nil
    }

    private func final(_ byte: UInt8, parameter: String?) -> Key {
        switch byte {
        case UInt8(ascii: "A"): return .up
        case UInt8(ascii: "B"): return .down
        case UInt8(ascii: "C"): return .right
        case UInt8(ascii: "D"): return .left
        case UInt8(ascii: "H"): return .home
        case UInt8(ascii: "F"): return .end
        case UInt8(ascii: "~"):
            switch parameter {
            case "1", "7": return .home
            case "4", "8": return .end
            case "3": return .delete
            default: return .ignored
            }
        default: return .ignored
        }
    }
}
