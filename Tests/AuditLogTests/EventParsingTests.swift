import Testing
@testable import AuditLog

@Suite struct EventParsingTests {
    static let valid = makeChain("C-1", count: 1)[0]
    static let validLine = text(valid.canonicalJSON(includingHash: true))

    /// The valid line with one member's JSON text replaced.
    static func line(replacing member: String, with json: String) -> String {
        var object = valid.jsonObject(includingHash: true).objectValue!
        object[member] = .string("\u{1}PLACEHOLDER\u{1}")
        return text(JSONValue.object(object).canonicalJSON()).replacing(
            "\"\\u0001PLACEHOLDER\\u0001\"", with: json)
    }

    static func parse(_ line: String) -> AuditParseError? {
        do { _ = try AuditEvent(jsonLine: Array(line.utf8)); return nil } catch { return error }
    }

    @Test func acceptsAValidLineAndNonCanonicalSpellings() throws {
        #expect(Self.parse(Self.validLine) == nil)
        // Whitespace and member order are valid JSON; canonicity is the trail verifier's concern.
        let spaced = "  " + Self.validLine.replacing(",\"seq\":", with: " ,\n\"seq\" : ") + "\t"
        #expect(try AuditEvent(jsonLine: Array(spaced.utf8)) == Self.valid)
    }

    @Test(arguments: [
        ("seq", "1.0", "fractional"), ("seq", "1e3", "fractional"), ("seq", "1E3", "fractional"),
        ("seq", "0", "at least 1"), ("seq", "-4", "at least 1"), ("seq", "\"1\"", "integer"),
        ("seq", "9223372036854775808", "64-bit"), ("seq", "01", "leading zeros"),
        ("data", "[]", "object"), ("data", "{\"n\":1.5}", "fractional"),
        ("data", "{\"n\":-9223372036854775809}", "64-bit"),
        ("chain", "7", "string"), ("actor", "null", "string"), ("role", "true", "string"),
        ("action", "[]", "string"),
        ("at", "\"2026-11-22T21:04:05Z\"", "27 characters"), ("at", "1795381445", "string"),
        ("prev", "\"\(String(repeating: "A", count: 64))\"", "64 lowercase hex"),
        ("hash", "\"\(String(repeating: "0", count: 63))\"", "64 lowercase hex"),
        ("hash", "\"\(String(repeating: "g", count: 64))\"", "64 lowercase hex"),
        ("actor", "\"\\ud800\"", "lone high surrogate"), ("actor", "\"\\udc00x\"", "lone low surrogate"),
        ("actor", "\"\\ud800\\u0041\"", "not followed by a low surrogate"),
        ("actor", "\"a\\x\"", "invalid escape"), ("actor", "\"a\u{1}\"", "must be escaped"),
        ("actor", "\"\\u12\"", "four hex digits"), ("data", "{\"a\":1,\"a\":2}", "duplicate member name"),
        ("data", "{\"a\":tru}", "invalid literal"), ("data", "{\"a\":1,}", "member name"),
    ])
    func rejectsBadMembers(member: String, json: String, expectedFragment: String) {
        let error = Self.parse(Self.line(replacing: member, with: json))
        #expect(error != nil, "\(member)=\(json) should be rejected")
        #expect(error?.description.contains(expectedFragment) == true, "\(String(describing: error))")
    }

    @Test func namesTheMemberForContentErrors() {
        let error = Self.parse(Self.line(replacing: "seq", with: "0"))
        #expect(error?.member == "seq")
        #expect(error?.offset == nil)
    }

    @Test func givesTheByteOffsetForSyntaxErrors() {
        let line = Self.line(replacing: "seq", with: "1.5")
        let error = Self.parse(line)
        #expect(error?.offset == Array(line.utf8).count - 4)  // where `1.5}` starts
    }

    @Test func rejectsMissingAndExtraMembers() {
        var object = Self.valid.jsonObject(includingHash: true).objectValue!
        object.removeValue(forKey: "role")
        #expect(Self.parse(text(JSONValue.object(object).canonicalJSON()))?.member == "role")
        object = Self.valid.jsonObject(includingHash: true).objectValue!
        object["comment"] = "hi"
        #expect(Self.parse(text(JSONValue.object(object).canonicalJSON()))?.member == "comment")
        #expect(Self.parse("[1,2]")?.description.contains("object") == true)
    }

    @Test func rejectsTrailingGarbageAndTruncation() {
        #expect(Self.parse(Self.validLine + "x")?.description.contains("after the JSON value") == true)
        #expect(Self.parse(Self.validLine + "{}") != nil)
        #expect(Self.parse(String(Self.validLine.dropLast())) != nil)
        #expect(Self.parse("") != nil)
    }

    @Test(arguments: [
        [0xC0, 0xAF],              // overlong "/"
        [0xE0, 0x80, 0xAF],        // overlong
        [0xED, 0xA0, 0x80],        // UTF-8-encoded surrogate U+D800
        [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
        [0xC3],                    // truncated
        [0x80],                    // stray continuation byte
        [0xFF],
    ] as [[UInt8]])
    func rejectsInvalidUTF8(badBytes: [UInt8]) {
        var line = Array(Self.line(replacing: "actor", with: "\"ab\"").utf8)
        let quote = line.firstIndex(of: UInt8(ascii: "b"))!
        line.insert(contentsOf: badBytes, at: quote)
        #expect(throws: AuditParseError.self) { try AuditEvent(jsonLine: line) }
    }

    @Test func acceptsValidMultiByteUTF8AndSurrogatePairs() throws {
        let event = try AuditEvent(jsonLine: Array(Self.line(replacing: "actor", with: "\"\\ud83d\\ude00é€\u{10FFFF}\"").utf8))
        #expect(event.actor == "😀é€\u{10FFFF}")
    }

    @Test func refusesExcessiveNesting() {
        let deep = String(repeating: "[", count: 101) + String(repeating: "]", count: 101)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(deep.utf8)) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? JSONValue.parse(Array(ok.utf8))) != nil)
    }

    @Test func parsesInt64Limits() throws {
        #expect(try JSONValue.parse(Array("[-9223372036854775808,9223372036854775807,-0]".utf8))
            == [.int(.min), .int(.max), 0])
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array("-".utf8)) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array("+1".utf8)) }
    }
}
