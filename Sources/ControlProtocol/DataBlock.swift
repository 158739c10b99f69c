/// Data blocks: the lines after a `+` request or a `CODE+` record, ended by a
/// line holding a single `.`; a line starting with `.` travels with the dot doubled.
///
/// A block's text is its lines each followed by LF. So text that does not end in
/// LF gains one on the way, and the empty text is the empty block.
public enum DataBlock {
    /// The block as sent: every line dot-stuffed and ending in CRLF, then `.` CRLF.
    public static func encode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        append(text, to: &out)
        return out
    }

    public static func append(_ text: String, to out: inout [UInt8]) {
        let utf8 = text.utf8
        var lineStart = utf8.startIndex
        while lineStart != utf8.endIndex {
            let lineEnd = utf8[lineStart...].firstIndex(of: ASCII.lf) ?? utf8.endIndex
            if utf8[lineStart] == ASCII.dot { out.append(ASCII.dot) }
            out.append(contentsOf: utf8[lineStart..<lineEnd])
            out.append(contentsOf: ASCII.crlf)
            lineStart = lineEnd == utf8.endIndex ? lineEnd : utf8.index(after: lineEnd)
        }
        out.append(ASCII.dot)
        out.append(contentsOf: ASCII.crlf)
    }
}

/// Collects a data block from its lines (as `LineFramer` gives them, CR LF
/// already gone) and undoes the dot-stuffing.
///
/// It always reads up to the closing `.`, even past an error, so that the
/// connection stays in step: a refused block is refused as a whole, once it ends.
/// Over `maxBytes` (counting one byte per line break) it stops keeping text, so
/// memory stays bounded, and answers 501 `bad-argument`. With `checksEncoding`
/// (requests) a line with invalid UTF-8 or control characters makes it 500
/// `bad-encoding`.
public struct DataBlockReader: Sendable {
    public static let defaultMaxBytes = 1024 * 1024

    public let maxBytes: Int
    public let checksEncoding: Bool

    private var text: [UInt8] = []
    private var failure: ProtocolError?

    public init(maxBytes: Int = DataBlockReader.defaultMaxBytes, checksEncoding: Bool = true) {
        self.maxBytes = maxBytes
        self.checksEncoding = checksEncoding
    }

    /// Takes the next line of the block. Returns nil while the block goes on, and
    /// the text (or why it is refused) at the closing `.`, after which the reader
    /// is ready for another block.
    public mutating func consume(_ line: ArraySlice<UInt8>) -> Result<String, ProtocolError>? {
        var line = line
        if line.first == ASCII.dot {
            if line.count == 1 { return finish() }
            line.removeFirst()
        }
        guard failure == nil else { return nil }
        if checksEncoding, let problem = TextCheck.problem(in: line) {
            failure = problem
            text = []
            return nil
        }
        if text.count + line.count + 1 > maxBytes {
            failure = .badArgument("data block over \(maxBytes) bytes")
            text = []
            return nil
        }
        text.append(contentsOf: line)
        text.append(ASCII.lf)
        return nil
    }

    public mutating func consume(_ line: [UInt8]) -> Result<String, ProtocolError>? { consume(line[...]) }

    private mutating func finish() -> Result<String, ProtocolError> {
        defer {
            text.removeAll(keepingCapacity: true)
            failure = nil
        }
        if let failure { return .failure(failure) }
        return .success(String(decoding: text, as: UTF8.self))
    }
}
