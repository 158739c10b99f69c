/// Cuts a byte stream into lines: bytes in, complete lines out.
///
/// A line ends with LF; one CR right before the LF is dropped. A line longer than
/// `maxLineLength` bytes (without its CR LF) comes out as a `line-too-long` error
/// in its place, and the framer never holds more than `maxLineLength + 1` bytes
/// of an unfinished line: the rest of an overlong line is skipped up to its LF.
/// The daemon closes the connection on that error (the contract says so); a
/// client may carry on with the next line.
public struct LineFramer: Sendable {
    public static let defaultMaxLineLength = 16 * 1024

    public let maxLineLength: Int

    /// Complete lines (or errors) not yet taken, oldest first from `head`.
    private var ready: [Result<[UInt8], ProtocolError>] = []
    private var head = 0
    /// The unfinished line so far.
    private var partial: [UInt8] = []
    /// Skipping the rest of an overlong line, whose error is already queued.
    private var skipping = false

    public init(maxLineLength: Int = LineFramer.defaultMaxLineLength) {
        precondition(maxLineLength > 0, "maxLineLength must be positive")
        self.maxLineLength = maxLineLength
    }

    /// Bytes of an unfinished line held: never more than `maxLineLength + 1`.
    public var bufferedByteCount: Int { partial.count }

    public mutating func feed(_ bytes: ArraySlice<UInt8>) {
        var rest = bytes
        while !rest.isEmpty {
            let lf = rest.firstIndex(of: ASCII.lf)
            if skipping {
                guard let lf else { return }
                skipping = false
                rest = rest[(lf + 1)...]
                continue
            }
            guard let lf else {
                // Room for the whole limit plus the CR that may precede the coming LF.
                if partial.count + rest.count > maxLineLength + 1 {
                    partial.removeAll(keepingCapacity: false)
                    ready.append(.failure(tooLong))
                    skipping = true
                } else {
                    partial.append(contentsOf: rest)
                }
                return
            }
            var segment = rest[..<lf]
            rest = rest[(lf + 1)...]
            if segment.last == ASCII.cr || (segment.isEmpty && partial.last == ASCII.cr) {
                if segment.isEmpty { partial.removeLast() } else { segment.removeLast() }
            }
            if partial.count + segment.count > maxLineLength {
                partial.removeAll(keepingCapacity: true)
                ready.append(.failure(tooLong))
                continue
            }
            if partial.isEmpty {
                ready.append(.success(Array(segment)))
            } else {
                partial.append(contentsOf: segment)
                ready.append(.success(partial))
                partial.removeAll(keepingCapacity: true)
            }
        }
    }

    public mutating func feed(_ bytes: [UInt8]) { feed(bytes[...]) }
    public mutating func feed(_ text: String) { feed(Array(text.utf8)[...]) }

    /// The next complete line without its line ending, nil when none is complete
    /// yet, or `line-too-long` for an overlong line.
    public mutating func nextLine() throws(ProtocolError) -> [UInt8]? {
        guard head < ready.count else { return nil }
        let line = ready[head]
        head += 1
        if head == ready.count {
            ready.removeAll(keepingCapacity: true)
            head = 0
        }
        return try line.get()
    }

    private var tooLong: ProtocolError { .lineTooLong("line longer than \(maxLineLength) bytes") }
}
