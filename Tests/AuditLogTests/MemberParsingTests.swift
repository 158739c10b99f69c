import Testing
@testable import AuditLog

/// `JSONValue.parseMembers`: the kept members equal a full parse's, the rest
/// is skipped, and broken structure anywhere is still refused.
@Suite struct MemberParsingTests {
    /// A deterministic random JSON value, nested up to `depth`.
    static func randomValue(_ rng: inout Xorshift, depth: Int) -> JSONValue {
        let strings = ["", "a", "say \"hi\"", "back\\slash", "tab\t", "é", "日本", "👩‍🔬", "}", "]", "{\"x\":1}", "\u{1}"]
        switch rng.next() % (depth > 0 ? 7 : 5) {
        case 0: return .null
        case 1: return .bool(rng.next() % 2 == 0)
        case 2: return .int(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64))
        case 3, 4: return .string(strings[Int(rng.next() % UInt64(strings.count))])
        case 5: return .array((0..<Int(rng.next() % 4)).map { _ in randomValue(&rng, depth: depth - 1) })
        default: return randomObject(&rng, depth: depth - 1)
        }
    }

    static let names = ["id", "state", "documents", "signatures", "attr", "ü", "a\"b", "x"]

    static func randomObject(_ rng: inout Xorshift, depth: Int) -> JSONValue {
        var members: [String: JSONValue] = [:]
        for _ in 0..<Int(rng.next() % 6) {
            members[names[Int(rng.next() % UInt64(names.count))]] = randomValue(&rng, depth: depth)
        }
        return .object(members)
    }

    @Test func keptMembersEqualAFullParseOnRandomObjects() throws {
        var rng = Xorshift(seed: 0x5EED)
        for _ in 0..<2_000 {
            let object = Self.randomObject(&rng, depth: 4)
            let text = object.canonicalJSON()
            let keys = Self.names.filter { _ in rng.next() % 2 == 0 }
            let full = try #require(try JSONValue.parse(text).objectValue)
            let kept = try JSONValue.parseMembers(JSONMemberNames(keys), of: text)
            #expect(kept == keys.map { full[$0] }, "\(String(decoding: text, as: UTF8.self))")
        }
    }

    @Test func whitespaceAndEscapedNamesAreHandled() throws {
        let text = Array(#" { "a" : [ 1 , { "b" : "}" } ] , "\u0069d" : "C-1" , "s" : "x" } "#.utf8)
        #expect(try JSONValue.parseMembers(JSONMemberNames(["s", "id", "zz"]), of: text) == [.string("x"), .string("C-1"), nil])
        #expect(try JSONValue.parseMembers(JSONMemberNames([]), of: text) == [])
        #expect(try JSONValue.parseMembers(JSONMemberNames(["id"]), of: Array("{}".utf8)) == [nil])
    }

    @Test(arguments: [
        "", "[]", "\"x\"", "{", "{\"a\":1", "{\"a\":[1,2}", "{\"a\":{\"b\":1]}", "{\"a\":\"unterminated}",
        "{\"a\":tru}", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\":1} x", "{\"a\":\"\u{1}\"}", "{\"a\":\"ok\\\"}",
        "{\"id\":1,\"id\":2}", "{\"a\":@}",
    ])
    func brokenStructureIsRefused(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parseMembers(JSONMemberNames(["id"]), of: Array(text.utf8)) }
    }

    @Test func nestingBeyondTheLimitIsRefusedInSkippedMembersToo() throws {
        let deep = String(repeating: "[", count: maximumJSONDepth + 1) + String(repeating: "]", count: maximumJSONDepth + 1)
        #expect(throws: JSONParseError.self) { try JSONValue.parseMembers(JSONMemberNames(["id"]), of: Array("{\"skip\":\(deep)}".utf8)) }
        let fits = String(repeating: "[", count: maximumJSONDepth - 1) + String(repeating: "]", count: maximumJSONDepth - 1)
        #expect(try JSONValue.parseMembers(JSONMemberNames(["id"]), of: Array("{\"skip\":\(fits),\"id\":1}".utf8)) == [.int(1)])
    }
}

/// A small seeded generator, so a failing case can be reproduced.
struct Xorshift {
    var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 1 : seed }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
