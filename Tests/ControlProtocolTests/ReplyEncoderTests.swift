import Testing
@testable import ControlProtocol

@Suite struct ReplyEncoderTests {
    @Test func recordsThenOK() {
        let reply = Reply.ok([
            ReplyRecord("case", fields: [Field("id", "C-000001"), Field("state", "preclinical"),
                                         Field("version", "7"), Field("title", "AAV9 for SMA")]),
        ], fields: [Field("count", "1")])
        #expect(text(ReplyEncoder.encode(reply))
            == "250-case id=C-000001 state=preclinical version=7 title=\"AAV9 for SMA\"\r\n250 OK count=1\r\n")
    }

    @Test func wordsOnTheFinalLine() {
        #expect(text(ReplyEncoder.encode(.ok(words: ["pong"]))) == "250 OK pong\r\n")
        let greeting = Reply(code: .greeting, final: .success(ReplyRecord("atmpd", fields: [
            Field("version", "0.1.0"), Field("protocol", "1"),
        ])))
        #expect(text(ReplyEncoder.encode(greeting)) == "220 atmpd version=0.1.0 protocol=1\r\n")
    }

    @Test func dataRecord() {
        let reply = Reply.ok([ReplyRecord("template", fields: [Field("name", "aav"), Field("version", "2")],
                                          data: "name: aav\n.x: 1\n")])
        #expect(text(ReplyEncoder.encode(reply))
            == "250+template name=aav version=2\r\nname: aav\r\n..x: 1\r\n.\r\n250 OK\r\n")
    }

    @Test func errorWithRecords() {
        let reply = Reply.error(.requirementsUnmet("2 items missing"), records: [
            ReplyRecord("missing", fields: [Field("kind", "document"), Field("name", "IMPD")]),
            ReplyRecord("missing", fields: [Field("kind", "signature"), Field("role", "qp")]),
        ])
        #expect(text(ReplyEncoder.encode(reply)) == """
            553-missing kind=document name=IMPD\r
            553-missing kind=signature role=qp\r
            553 requirements-unmet 2 items missing\r

            """)
    }

    @Test func humanTextCannotForgeLines() {
        let reply = Reply.error(.notFound("no case\r\n250 OK\u{85}x\u{0}y"))
        #expect(text(ReplyEncoder.encode(reply)) == "550 not-found no case  250 OK x y\r\n")
        #expect(text(ReplyEncoder.encode(.error(.syntax("")))) == "500 syntax\r\n")
    }

    @Test func eventLine() {
        let event = WatchEvent(chain: "C-000001", seq: 8, action: "case.advanced", actor: "qp1", state: "released")
        #expect(text(ReplyEncoder.encode(event))
            == "650 event chain=C-000001 seq=8 action=case.advanced actor=qp1 state=released\r\n")
    }

    @Test func quotingRules() {
        #expect(Quoting.quotedIfNeeded("plain-value_1.0") == "plain-value_1.0")
        #expect(Quoting.quotedIfNeeded("日本語") == "日本語")
        #expect(Quoting.quotedIfNeeded("") == #""""#)
        #expect(Quoting.quotedIfNeeded("a b") == #""a b""#)
        #expect(Quoting.quotedIfNeeded("a=b") == #""a=b""#)
        #expect(Quoting.quotedIfNeeded(#"say "hi"\"#) == #""say \"hi\"\\""#)
        #expect(Quoting.quotedIfNeeded("l1\nl2\r\tz") == #""l1\nl2\r\tz""#)
        #expect(Quoting.quotedIfNeeded(".dot") == ".dot")
    }
}
