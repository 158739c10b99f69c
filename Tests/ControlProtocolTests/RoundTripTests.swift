import PropertyBased
import Testing
@testable import ControlProtocol

/// Encode then parse gives back the same values.
@Suite struct RoundTripTests {
    static let awkward = [
        "", " ", "a b", "\"", "\\", "\\\"", "a=b", "=", "==", "k=v w=x", "\n", "\r\n", "\t", "l1\nl2",
        ".", "..", ".leading", "日本語 テキスト", "emoji 👩‍🔬", "'; DROP TABLE x; --", "$1", "%s", "\"quoted\"",
        "trailing\\", "#comment", "+plus", "-minus",
    ]

    func recordRoundTrip(_ value: String) throws -> String? {
        let reply = Reply.ok([ReplyRecord("r", words: [value], fields: [Field("k", value)])])
        let parsed = try #require(try replies(text(ReplyEncoder.encode(reply))).first?.reply)
        #expect(parsed.records[0].words == [value])
        return parsed.records[0]["k"]
    }

    @Test(arguments: awkward)
    func valueInReplyRecord(_ value: String) throws {
        #expect(try recordRoundTrip(value) == value)
    }

    @Test(arguments: awkward.filter { !$0.utf8.contains(where: { $0 < 0x20 && $0 != 0x09 }) })
    func valueInRequest(_ value: String) throws {
        let request = Request(verb: ["CASE", "NOTE"], positional: ["C-1", value], keyed: [Field("text", value)])
        let line = RequestEncoder.encode(request)
        #expect(line.suffix(2) == [0x0D, 0x0A])
        #expect(try RequestParser().parse(line.dropLast(2)) == request)
    }

    @Test(arguments: awkward)
    func dataBlock(_ value: String) throws {
        let data = value + "\n" + value + "\n"
        let parsed = try #require(try replies(text(ReplyEncoder.encode(.ok([ReplyRecord("d", data: data)])))).first?.reply)
        #expect(parsed.records[0].data == data)
    }

    /// Characters weighted towards the ones the wire format treats specially.
    static let character = Gen<Character>.oneOf(
        Gen<Character?>.element(of: Array(" \t\"\\=.\n\r+-#x") as [Character]).map { $0! },
        Gen.ascii,
        Gen.character(in: "\u{80}"..."\u{2FFF}"),
        Gen.character(in: "\u{1F300}"..."\u{1F64F}"),
    )

    @Test func randomValuesRoundTripThroughRecords() async {
        await propertyCheck(count: 300, input: Self.character.string(of: 0...40)) { value in
            let back = try recordRoundTrip(value)
            #expect(back == value)
        }
    }

    @Test func randomValuesRoundTripThroughRequests() async {
        // Requests cannot carry control characters other than TAB (bad-encoding).
        let safe = Self.character.filter { c in !c.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\t" } }
        await propertyCheck(count: 300, input: safe.string(of: 0...40)) { value in
            let request = Request(verb: ["X"], positional: [value], keyed: [Field("v", value)])
            let back = try RequestParser().parse(RequestEncoder.encode(request).dropLast(2))
            #expect(back == request)
        }
    }

    @Test func randomDataBlocksRoundTrip() async {
        await propertyCheck(count: 200, input: Self.character.string(of: 0...200)) { text in
            // A block's text ends with a line break (see DataBlock).
            let data = text.isEmpty || text.hasSuffix("\n") ? text : text + "\n"
            let reply = Reply.ok([ReplyRecord("d", data: data)])
            var parser = ReplyParser()
            // Fed in two pieces to cross a line boundary somewhere.
            let wire = ReplyEncoder.encode(reply)
            parser.feed(wire.prefix(wire.count / 2))
            parser.feed(wire.suffix(from: wire.count / 2))
            let back = try parser.next()
            #expect(back?.reply?.records.first?.data == data)
        }
    }
}
