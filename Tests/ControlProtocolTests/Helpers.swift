@testable import ControlProtocol

/// Parses one request line given as text.
func parse(_ line: String) throws(ProtocolError) -> Request? {
    try RequestParser().parse(Array(line.utf8)[...])
}

/// The error a line is refused with, or nil if it parses.
func refusal(_ line: [UInt8]) -> ProtocolError? {
    do { _ = try RequestParser().parse(line[...]); return nil } catch { return error }
}

func refusal(_ line: String) -> ProtocolError? { refusal(Array(line.utf8)) }

/// Every reply and event the parser makes of `text`.
func replies(_ text: String) throws(MalformedReply) -> [ReplyParser.Output] {
    var parser = ReplyParser()
    parser.feed(text)
    var out: [ReplyParser.Output] = []
    while let next = try parser.next() { out.append(next) }
    return out
}

/// The lines a framer cuts from `chunks`, errors shown as `nil`.
func lines(_ chunks: [String], max: Int = 16) -> [String?] {
    var framer = LineFramer(maxLineLength: max)
    var out: [String?] = []
    for chunk in chunks {
        framer.feed(chunk)
        while true {
            do {
                guard let line = try framer.nextLine() else { break }
                out.append(String(decoding: line, as: UTF8.self))
            } catch {
                out.append(nil)
            }
        }
    }
    return out
}

extension ReplyParser.Output {
    var reply: Reply? { if case .reply(let r) = self { r } else { nil } }
    var event: Reply? { if case .event(let r) = self { r } else { nil } }
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
