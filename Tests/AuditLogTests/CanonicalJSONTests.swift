import Testing
@testable import AuditLog

@Suite struct CanonicalJSONTests {
    // MARK: RFC 8785 examples within the audit value domain (no fractional numbers)

    /// RFC 8785 §3.2.2.2, the string example: input
    /// `"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"`.
    @Test func rfc8785StringExample() throws {
        let input = #"{"string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"}"#
        let value = try JSONValue.parse(Array(input.utf8))
        #expect(text(value.canonicalJSON()) == #"{"string":"€$\u000f\nA'B\"\\\\\"/"}"#)
    }

    /// RFC 8785 §3.2.2's main example without its `numbers` member, which
    /// holds fractional numbers the audit format forbids (and our parser refuses).
    @Test func rfc8785MainExampleWithoutNumbers() throws {
        let input = """
            {
              "string": "\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\"\\/",
              "literals": [null, true, false]
            }
            """
        let value = try JSONValue.parse(Array(input.utf8))
        #expect(text(value.canonicalJSON()) == #"{"literals":[null,true,false],"string":"€$\u000f\nA'B\"\\\\\"/"}"#)

        let withNumbers = #"{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001]}"#
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(withNumbers.utf8)) }
    }

    /// RFC 8785 §3.2.3, the sorting example. The RFC sorts by UTF-16 code
    /// units and so puts 😀 (U+1F600, surrogates D83D DE00) before דּ (U+FB33).
    /// The audit contract sorts by code point (as Python's sort_keys does), so
    /// U+FB33 comes before U+1F600. All other keys are in the same order.
    @Test func rfc8785SortingExampleInCodePointOrder() {
        let value: JSONValue = [
            "\u{20ac}": "Euro Sign",
            "\r": "Carriage Return",
            "\u{fb33}": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\u{1F600}": "Emoji: Grinning Face",
            "\u{0080}": "Control",
            "\u{00f6}": "Latin Small Letter O With Diaeresis",
        ]
        let canonical = value.canonicalJSON()
        // Bytes from Python json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False).
        #expect(canonical == bytes(hex: "7b225c72223a2243617272696167652052657475726e222c2231223a224f6e65222c22c280223a22436f6e74726f6c222c22c3b6223a224c6174696e20536d616c6c204c6574746572204f205769746820446961657265736973222c22e282ac223a224575726f205369676e222c22efacb3223a22486562726577204c65747465722044616c6574205769746820446167657368222c22f09f9880223a22456d6f6a693a204772696e6e696e672046616365227d"))
        let rfcUTF16Order = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"דּ\":\"Hebrew Letter Dalet With Dagesh\"}"
        #expect(text(canonical) != rfcUTF16Order)
        #expect(text(canonical).hasSuffix("\"דּ\":\"Hebrew Letter Dalet With Dagesh\",\"😀\":\"Emoji: Grinning Face\"}"))
    }

    // MARK: Literals, integers, escaping

    @Test func literals() {
        let value: JSONValue = [nil, true, false, [], [:]]
        #expect(text(value.canonicalJSON()) == "[null,true,false,[],{}]")
    }

    @Test(arguments: [
        (Int64(0), "0"), (-1, "-1"), (7, "7"), (10, "10"), (-10, "-10"),
        (Int64.max, "9223372036854775807"), (Int64.min, "-9223372036854775808"),
    ])
    func integersInPlainDecimal(value: Int64, expected: String) throws {
        #expect(text(JSONValue.int(value).canonicalJSON()) == expected)
        #expect(try JSONValue.parse(Array(expected.utf8)) == .int(value))
    }

    @Test func everyControlCharacterIsEscaped() {
        for byte in UInt8(0)..<0x20 {
            let json = text(JSONValue.string(String(Unicode.Scalar(byte))).canonicalJSON())
            let expected: String
            switch byte {
            case 0x08: expected = #""\b""#
            case 0x09: expected = #""\t""#
            case 0x0A: expected = #""\n""#
            case 0x0C: expected = #""\f""#
            case 0x0D: expected = #""\r""#
            default:
                let hex = String(byte, radix: 16)
                expected = "\"\\u00" + (hex.count == 1 ? "0" + hex : hex) + "\""
            }
            #expect(json == expected, "byte \(byte)")
        }
    }

    @Test func delAndLineSeparatorsAndSolidusAreLiteral() {
        #expect(text(JSONValue.string("\u{7f}\u{2028}\u{2029}/").canonicalJSON()) == "\"\u{7f}\u{2028}\u{2029}/\"")
    }

    /// Bytes generated once with Python's
    /// `json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()`.
    @Test func matchesPythonForTrickyValues() {
        let value: JSONValue = [
            "s": .string("q\"b\\s/\u{8}\u{c}\n\r\t\u{0}\u{1}\u{1f}\u{7f}\u{2028}\u{2029}é€😀"),
            "ints": [0, -1, .int(.max), .int(.min)],
            "lit": [nil, true, false],
            "nest": ["z": [], "a": [:], "": "empty"],
        ]
        #expect(value.canonicalJSON() == bytes(hex: "7b22696e7473223a5b302c2d312c393232333337323033363835343737353830372c2d393232333337323033363835343737353830385d2c226c6974223a5b6e756c6c2c747275652c66616c73655d2c226e657374223a7b22223a22656d707479222c2261223a7b7d2c227a223a5b5d7d2c2273223a22715c22625c5c732f5c625c665c6e5c725c745c75303030305c75303030315c75303031667fe280a8e280a9c3a9e282acf09f9880227d"))
    }

    /// Swift's `String <` is not code-point order (it compares NFC forms);
    /// keys must be ordered by their scalars, as Python orders them.
    @Test func keysSortByCodePointNotBySwiftStringOrder() {
        // "e" + U+0301 (combining acute) compares as "é" (U+00E9) in Swift, after "f";
        // by code point it starts with "e", before "f".
        #expect("e\u{301}" > "f")
        let value: JSONValue = ["f": 1, "e\u{301}": 2, "B": 3, "aa": 4, "a": 5, "": 6]
        #expect(text(value.canonicalJSON()) == "{\"\":6,\"B\":3,\"a\":5,\"aa\":4,\"e\u{301}\":2,\"f\":1}")
    }
}

/// Small objects (up to 8 members) are ordered by picking, larger ones by
/// sorting: both must give code-point order, at and around the switch.
@Suite struct MemberOrderTests {
    @Test(arguments: [0, 1, 2, 7, 8, 9, 20])
    func membersAreInCodePointOrderWhateverTheirCount(count: Int) {
        // Keys chosen so insertion, hash and code-point order all differ.
        let pool = ["zz", "a", "é", "B", "", "aa", "f", "😀", "\u{FFFF}", "m", "a-b", "a_b",
                    "0", "Z", "~", "x", "y", "yy", "ab", "b"]
        let keys = Array(pool.prefix(count))
        let value = JSONValue.object(Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, JSONValue.int(Int64($0))) }))
        let ordered = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let expected = "{" + ordered.map { key in
            "\"\(key)\":\(keys.firstIndex(of: key)!)"
        }.joined(separator: ",") + "}"
        #expect(String(decoding: value.canonicalJSON(), as: UTF8.self) == expected)
    }
}

/// Strings are scanned eight bytes at a time: an escape must be found at every
/// position of a long string, next to multi-byte characters too.
@Suite struct LongStringEscapeTests {
    /// The escaping rules, one character at a time, as the reference.
    static func reference(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let s where s.value < 0x20: out += "\\u00" + (s.value < 0x10 ? "0" : "") + String(s.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    @Test(arguments: ["\"", "\\", "\u{0}", "\u{1f}", "\n", "\u{7f}", "é", "\u{2028}", " "])
    func escapesAreFoundAtEveryPosition(special: String) {
        for length in [7, 8, 9, 16, 17, 40] {
            for position in 0..<length {
                var characters = Array(repeating: "a", count: length)
                characters[position] = special
                let string = characters.joined()
                let json = String(decoding: JSONValue.string(string).canonicalJSON(), as: UTF8.self)
                #expect(json == Self.reference(string), "length \(length), position \(position)")
            }
        }
    }
}
