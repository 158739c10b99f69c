/// Turns one request line into a `Request`, or the `ProtocolError` to answer with.
///
/// Pure and allocation-light: the daemon calls it for every line. Which verbs
/// exist, and which keys they take, is not its business but the command table's.
public struct RequestParser: Sendable {
    /// First words that take a second one (`TEMPLATE PUT`).
    public static let standardGroupedVerbs: Set<String> = ["USER", "TEMPLATE", "CASE", "AUDIT"]

    public var groupedVerbs: Set<String>

    public init(groupedVerbs: Set<String> = RequestParser.standardGroupedVerbs) {
        self.groupedVerbs = groupedVerbs
    }

    /// Parses a line given without its LF; one trailing CR is dropped.
    /// Returns nil for an empty or blank line, which the protocol ignores.
    ///
    /// Checks run in this order: encoding (500 `bad-encoding`), tokens
    /// (500 `syntax`), command words (500 `syntax`/`unknown-command`), argument
    /// order and duplicates (501 `bad-argument`).
    public func parse(_ line: ArraySlice<UInt8>) throws(ProtocolError) -> Request? {
        var line = line
        if line.last == ASCII.cr { line.removeLast() }
        if let problem = TextCheck.problem(in: line) { throw problem }

        var start = line.startIndex
        while start < line.endIndex && ASCII.isBlank(line[start]) { start += 1 }
        guard start < line.endIndex else { return nil }
        let hasData = line[start] == ASCII.plus
        if hasData {
            start += 1
            guard start < line.endIndex, !ASCII.isBlank(line[start]) else {
                throw .syntax("'+' must be followed directly by the command")
            }
        }

        var tokens = Tokenizer(line[start...])
        // Arrays get their usual capacity up front: growing them one append at
        // a time cost three reallocations on a typical line.
        var verb: [String] = []
        verb.reserveCapacity(2)
        verb.append(try commandWord(tokens.next()))
        if groupedVerbs.contains(verb[0]) {
            guard let second = try tokens.next(), second.key == nil else {
                throw .unknownCommand("\(verb[0]) needs a subcommand")
            }
            guard !second.isQuoted else { throw .syntax("a command word cannot be quoted") }
            verb.append(Self.uppercased(second.value))
        }

        var positional: [String] = []
        var keyed: [Field] = []
        while let token = try tokens.next() {
            if let key = token.key {
                if keyed.contains(where: { $0.key == key }) { throw .badArgument("\(key) given twice") }
                if keyed.isEmpty { keyed.reserveCapacity(6) }
                keyed.append(Field(key, token.value))
            } else {
                guard keyed.isEmpty else {
                    throw .badArgument("positional argument '\(token.value)' after key=value arguments")
                }
                if positional.isEmpty { positional.reserveCapacity(2) }
                positional.append(token.value)
            }
        }
        return Request(hasData: hasData, verb: verb, positional: positional, keyed: keyed)
    }

    public func parse(_ line: [UInt8]) throws(ProtocolError) -> Request? { try parse(line[...]) }
    public func parse(_ line: String) throws(ProtocolError) -> Request? { try parse(Array(line.utf8)[...]) }

    /// Whether a line announces a data block (starts with `+`), decided even when
    /// the line does not parse: a server rejecting such a line must still read and
    /// discard its block, or the block's lines would be taken for requests.
    public static func announcesData(_ line: ArraySlice<UInt8>) -> Bool {
        line.first { !ASCII.isBlank($0) } == ASCII.plus
    }

    private func commandWord(_ token: Token?) throws(ProtocolError) -> String {
        guard let token else { throw .syntax("missing command") }
        guard !token.isQuoted, token.key == nil else { throw .syntax("a request starts with a command word") }
        return Self.uppercased(token.value)
    }

    /// ASCII upper-casing only: commands are ASCII, and a byte map is cheap.
    private static func uppercased(_ word: String) -> String {
        guard word.utf8.contains(where: { (0x61...0x7A).contains($0) }) else { return word }
        var utf8 = Array(word.utf8)
        for i in utf8.indices { utf8[i] = ASCII.uppercased(utf8[i]) }
        return String(decoding: utf8, as: UTF8.self)
    }
}
