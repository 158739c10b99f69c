/// Reads replies from a server, incrementally: feed it bytes (or lines) and take
/// complete replies out, for `atmpctl` and tests.
///
/// Asynchronous `650` lines come out separately, as `.event`, whenever they
/// arrive between replies. Strict: a line whose code differs from the reply it
/// is in (a `650` included), a bad code or separator, or a record that does not
/// tokenize is a `MalformedReply`, after which the stream is out of step.
public struct ReplyParser: Sendable {
    public enum Output: Sendable, Hashable {
        /// The reply to the oldest request still waiting for one.
        case reply(Reply)
        /// An asynchronous reply (code 6xx), belonging to no request.
        case event(Reply)
    }

    /// Server lines can be long (an audit event, a long title): a generous default.
    public static let defaultMaxLineLength = 1024 * 1024

    private var framer: LineFramer
    private var code: ReplyCode?
    private var records: [ReplyRecord] = []
    /// The `+` record whose data block is being read.
    private var dataRecord: ReplyRecord?
    private var data: DataBlockReader

    public init(maxLineLength: Int = ReplyParser.defaultMaxLineLength,
                maxDataBytes: Int = 256 * 1024 * 1024) {
        framer = LineFramer(maxLineLength: maxLineLength)
        data = DataBlockReader(maxBytes: maxDataBytes, checksEncoding: false)
    }

    /// Whether a reply has begun and not yet ended.
    public var isInsideReply: Bool { code != nil }

    public mutating func feed(_ bytes: ArraySlice<UInt8>) { framer.feed(bytes) }
    public mutating func feed(_ bytes: [UInt8]) { framer.feed(bytes[...]) }
    public mutating func feed(_ text: String) { framer.feed(text) }

    /// The next complete reply or event from what was fed, nil if none is complete yet.
    public mutating func next() throws(MalformedReply) -> Output? {
        while true {
            let line: [UInt8]?
            do throws(ProtocolError) { line = try framer.nextLine() } catch {
                throw MalformedReply(error.message, line: "")
            }
            guard let line else { return nil }
            if let output = try consume(line[...]) { return output }
        }
    }

    /// Takes one line (without CR LF); returns a reply or event once complete.
    public mutating func consume(_ line: ArraySlice<UInt8>) throws(MalformedReply) -> Output? {
        if var record = dataRecord {
            guard let result = data.consume(line) else { return nil }
            switch result {
            case .success(let text): record.data = text
            case .failure(let error): throw MalformedReply(error.message, line: "")
            }
            records.append(record)
            dataRecord = nil
            return nil
        }

        func malformed(_ message: String) -> MalformedReply {
            MalformedReply(message, line: String(decoding: line, as: UTF8.self))
        }
        guard line.count >= 4,
              line.prefix(3).allSatisfy({ (ASCII.zero...ASCII.nine).contains($0) }),
              line[line.startIndex] != ASCII.zero
        else { throw malformed("a reply line starts with a three-digit code and a separator") }
        let lineCode = ReplyCode(line.prefix(3).reduce(0) { $0 * 10 + Int($1 - ASCII.zero) })
        let separator = line[line.startIndex + 3]
        let rest = line[(line.startIndex + 4)...]

        if let code, code != lineCode {
            throw malformed("code \(lineCode) inside a \(code) reply")
        }
        code = lineCode

        switch separator {
        case ASCII.minus:
            records.append(try record(rest, malformed))
            return nil
        case ASCII.plus:
            dataRecord = try record(rest, malformed)
            return nil
        case ASCII.space:
            let final: Reply.Final
            if lineCode.isError {
                final = .failure(errorLine(rest, code: lineCode))
            } else {
                final = .success(try record(rest, malformed))
            }
            let reply = Reply(code: lineCode, records: records, final: final)
            code = nil
            records = []
            return lineCode.isAsynchronous ? .event(reply) : .reply(reply)
        default:
            throw malformed("separator after the code must be '-', '+' or a space")
        }
    }

    public mutating func consume(_ line: [UInt8]) throws(MalformedReply) -> Output? { try consume(line[...]) }

    /// `type word… key=value…`
    private func record(_ bytes: ArraySlice<UInt8>,
                        _ malformed: (String) -> MalformedReply) throws(MalformedReply) -> ReplyRecord {
        var tokens = Tokenizer(bytes)
        var list: [Token] = []
        do throws(ProtocolError) {
            while let token = try tokens.next() { list.append(token) }
        } catch {
            throw malformed(error.message)
        }
        guard let type = list.first, type.key == nil, !type.isQuoted else {
            throw malformed("a record starts with a type word")
        }
        var record = ReplyRecord(type.value)
        for token in list.dropFirst() {
            if let key = token.key {
                record.fields.append(Field(key, token.value))
            } else {
                record.words.append(token.value)
            }
        }
        return record
    }

    /// `error-key human text`: the text is everything after the key, verbatim.
    private func errorLine(_ bytes: ArraySlice<UInt8>, code: ReplyCode) -> ProtocolError {
        let keyEnd = bytes.firstIndex(of: ASCII.space) ?? bytes.endIndex
        let key = String(decoding: bytes[..<keyEnd], as: UTF8.self)
        let text = keyEnd == bytes.endIndex ? "" : String(decoding: bytes[(keyEnd + 1)...], as: UTF8.self)
        return ProtocolError(ErrorKey.named(key, code: code), text)
    }
}
