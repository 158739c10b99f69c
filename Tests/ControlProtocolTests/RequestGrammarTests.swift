import Testing
@testable import ControlProtocol

@Suite struct RequestGrammarTests {
    @Test func verbIsUpperCasedAndGroupedVerbsTakeTwoWords() throws {
        #expect(try parse("ping") == Request(verb: ["PING"]))
        #expect(try parse("template put")?.verb == ["TEMPLATE", "PUT"])
        #expect(try parse("Case Show C-000001")?.positional == ["C-000001"])
        // Not grouped: the second word is a positional argument.
        #expect(try parse("WATCH all") == Request(verb: ["WATCH"], positional: ["all"]))
    }

    @Test func positionalThenKeyedInOrder() throws {
        let request = try #require(try parse(#"CASE ADVANCE C-1 release reason="QP ok" expect=7 idem=k1"#))
        #expect(request.verb == ["CASE", "ADVANCE"])
        #expect(request.positional == ["C-1", "release"])
        #expect(request.keyed == [Field("reason", "QP ok"), Field("expect", "7"), Field("idem", "k1")])
        #expect(request["expect"] == "7")
        #expect(request["EXPECT"] == nil, "keys are case-sensitive")
        #expect(request.command == "CASE ADVANCE")
    }

    @Test func plusAnnouncesData() throws {
        #expect(try parse("+TEMPLATE PUT")?.hasData == true)
        #expect(try parse("TEMPLATE PUT")?.hasData == false)
        #expect(refusal("+ TEMPLATE PUT")?.key == .syntax)
        #expect(refusal("+")?.key == .syntax)
        #expect(RequestParser.announcesData(Array("+TEMPLATE \"bad".utf8)[...]))
        #expect(!RequestParser.announcesData(Array("TEMPLATE +x".utf8)[...]))
    }

    @Test func blankLinesAreIgnored() throws {
        #expect(try parse("") == nil)
        #expect(try parse("  \t ") == nil)
        #expect(try parse("\r") == nil)
    }

    @Test func trailingCRIsDroppedAndBlanksSeparate() throws {
        #expect(try parse("PING\r") == Request(verb: ["PING"]))
        #expect(try parse("  CASE\tSHOW   C-1  ")?.positional == ["C-1"])
    }

    @Test func keyIsWhatPrecedesTheFirstEquals() throws {
        let request = try #require(try parse("CASE ATTACH C-1 uri=https://x.example/a?b=c&d=e attr.site_code-1=A"))
        #expect(request.keyed == [Field("uri", "https://x.example/a?b=c&d=e"), Field("attr.site_code-1", "A")])
    }

    @Test func quotedValuesNeverBecomeKeys() throws {
        let request = try #require(try parse(#"CASE NOTE "a=b" text="x=y""#))
        #expect(request.positional == ["a=b"])
        #expect(request.keyed == [Field("text", "x=y")])
    }

    @Test func escapesInsideQuotes() throws {
        let request = try #require(try parse(#"CASE NOTE C-1 text="say \"hi\"\\ \n\r\t end""#))
        #expect(request["text"] == "say \"hi\"\\ \n\r\t end")
        #expect(try parse(#"X y="""#)?["y"] == "")
        // A backslash in a bare value is an ordinary character.
        #expect(try parse(#"X C:\dir"#)?.positional == [#"C:\dir"#])
    }

    @Test func unicodeAndTabPassThrough() throws {
        #expect(try parse("CASE OPEN title=Zolgensma®-ähnlich-日本")?["title"] == "Zolgensma®-ähnlich-日本")
        #expect(try parse("X text=\"a\tb\"")?["text"] == "a\tb")
    }

    @Test func injectionStringsPassVerbatim() throws {
        for evil in ["'; DROP TABLE x; --", "$1", "%s%n", "${HOME}", "\\x00", "<script>"] {
            let wire = RequestEncoder.encode(Request(verb: ["CASE", "NOTE"], positional: ["C-1"], keyed: [Field("text", evil)]))
            #expect(try RequestParser().parse(wire.dropLast(2))?["text"] == evil)
        }
        #expect(try parse("CASE NOTE C-1 text=%s$1")?["text"] == "%s$1")
    }

    @Test func customGroupedVerbs() throws {
        let parser = RequestParser(groupedVerbs: ["CASE", "ROLE"])
        #expect(try parser.parse("role grant x")?.verb == ["ROLE", "GRANT"])
        #expect(try parser.parse("TEMPLATE PUT")?.verb == ["TEMPLATE"])
    }
}
