import Testing
@testable import ControlProtocol

@Suite struct DataBlockTests {
    /// Feeds `wire` through a framer and a reader, returning the reader's result
    /// and how many lines were left after the block.
    func read(_ wire: String, maxBytes: Int = 1024) -> (Result<String, ProtocolError>?, [String]) {
        var framer = LineFramer()
        framer.feed(wire)
        var reader = DataBlockReader(maxBytes: maxBytes)
        var result: Result<String, ProtocolError>?
        var after: [String] = []
        while let line = try? framer.nextLine() {
            if result == nil { result = reader.consume(line) } else { after.append(text(line)) }
        }
        return (result, after)
    }

    @Test func dotStuffingOnWrite() {
        #expect(text(DataBlock.encode("a\n.b\n..c\n.\n")) == "a\r\n..b\r\n...c\r\n..\r\n.\r\n")
        #expect(text(DataBlock.encode("")) == ".\r\n")
        #expect(text(DataBlock.encode("\n")) == "\r\n.\r\n")
        #expect(text(DataBlock.encode("no newline")) == "no newline\r\n.\r\n")
    }

    @Test func dotUnstuffingOnRead() throws {
        let (result, after) = read("a\r\n..b\n...c\n..\n.\nPING\n")
        #expect(try result?.get() == "a\n.b\n..c\n.\n")
        #expect(after == ["PING"])
    }

    @Test func emptyBlock() throws {
        #expect(try read(".\n").0?.get() == "")
    }

    @Test func readerIsReusable() throws {
        var reader = DataBlockReader()
        #expect(reader.consume(Array("x".utf8)) == nil)
        #expect(try reader.consume(Array(".".utf8))?.get() == "x\n")
        #expect(try reader.consume(Array(".".utf8))?.get() == "")
    }

    @Test func oversizedBlockIsRefusedAtItsEndAndStreamStaysInStep() {
        // 10 lines of 10 bytes plus line breaks = 110 bytes over a limit of 100.
        let block = String(repeating: "0123456789\n", count: 10) + ".\nPING\n"
        let (result, after) = read(block, maxBytes: 100)
        #expect(result == .failure(.badArgument("data block over 100 bytes")))
        #expect(after == ["PING"])
        // Exactly at the limit (nine bytes and a line break) passes; one byte more fails.
        #expect((try? read("123456789\n.\n", maxBytes: 10).0?.get()) == "123456789\n")
        #expect(read("1234567890\n.\n", maxBytes: 10).0 == .failure(.badArgument("data block over 10 bytes")))
    }

    @Test func badEncodingInsideBlockIsRefusedAtItsEnd() throws {
        var reader = DataBlockReader()
        #expect(reader.consume([0x61, 0x00]) == nil)
        #expect(reader.consume(Array("more".utf8)) == nil)
        let result = reader.consume([ASCII.dot])
        guard case .failure(let error) = result else { Issue.record("expected failure"); return }
        #expect(error.key == .badEncoding)
        // Replies are read without the check.
        var lenient = DataBlockReader(checksEncoding: false)
        _ = lenient.consume([0x61, 0x00])
        #expect(try lenient.consume([ASCII.dot])?.get() == "a\u{0}\n")
    }

    @Test func requestWithDataRoundTrip() throws {
        let yaml = "name: x\n.hidden: true\n...\n"
        let wire = RequestEncoder.encode(Request(verb: ["TEMPLATE", "PUT"]), data: yaml)
        #expect(text(wire).hasPrefix("+TEMPLATE PUT\r\n"))
        var framer = LineFramer()
        framer.feed(wire)
        let line = try #require(try framer.nextLine())
        let request = try #require(try RequestParser().parse(line))
        #expect(request.hasData)
        var reader = DataBlockReader()
        var result: Result<String, ProtocolError>?
        while result == nil, let line = try framer.nextLine() { result = reader.consume(line) }
        #expect(try result?.get() == yaml)
    }
}
