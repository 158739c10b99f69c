/// Positions in raw text, for problems found before the parser gives us marks.
enum TextPosition {
    /// The line and column of a UTF-8 byte offset (columns count Unicode scalars).
    static func of(byteOffset: Int, in utf8: some Collection<UInt8>) -> Position {
        var line = 1, column = 1
        for byte in utf8.prefix(byteOffset) {
            if byte == 0x0A {
                line += 1; column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return Position(line: line, column: column)
    }

    /// Where the first byte sequence that is not valid UTF-8 starts, if any.
    static func firstInvalidUTF8(in bytes: [UInt8]) -> Position? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                offset += encoded.count
            case .error(let length):
                _ = length
                return of(byteOffset: offset, in: bytes)
            case .emptyInput:
                return nil
            }
        }
    }
}
