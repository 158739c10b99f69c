import Testing
@testable import ControlProtocol

@Suite struct ReplyParserTests {
    @Test func multiRecordReply() throws {
        let out = try replies("250-case id=C-1 state=a title=\"x y\" future=1\r\n250-case id=C-2 state=b\r\n250 OK count=2 next=C-3\r\n")
        let reply = try #require(out.first?.reply)
        #expect(out.count == 1)
        #expect(reply.records.map { $0["id"] } == ["C-1", "C-2"])
        #expect(reply.records[0]["title"] == "x y")
        #expect(reply.records[0]["future"] == "1", "unknown fields are kept, for clients to ignore")
        #expect(reply.status?.fields == [Field("count", "2"), Field("next", "C-3")])
        #expect(reply.error == nil)
    }

    @Test func dataReply() throws {
        let out = try replies("250+template name=aav version=2\r\nname: aav\r\n..x: 1\r\n\r\n.\r\n250 OK\r\n")
        let reply = try #require(out.first?.reply)
        #expect(reply.records == [ReplyRecord("template", fields: [Field("name", "aav"), Field("version", "2")],
                                              data: "name: aav\n.x: 1\n\n")])
    }

    @Test func eventsBetweenRequestAndReplyComeOutSeparately() throws {
        let out = try replies("""
            650 event chain=C-1 seq=2 action=case.noted actor=a state=s\r
            250-case id=C-1\r
            250 OK\r
            650 event chain=C-1 seq=3 action=case.held actor=a state=s\r
            250 OK pong\r

            """)
        #expect(out.count == 4)
        #expect(out[0].event.flatMap(WatchEvent.init)?.seq == 2)
        #expect(out[1].reply?.records.count == 1)
        #expect(out[2].event.flatMap(WatchEvent.init)
            == WatchEvent(chain: "C-1", seq: 3, action: "case.held", actor: "a", state: "s"))
        #expect(out[3].reply?.status == ReplyRecord("OK", words: ["pong"]))
    }

    @Test(arguments: [
        ("553-missing kind=document name=IMPD\r\n553-missing kind=signature role=qp meaning=approval\r\n553 requirements-unmet 2 requirements unmet\r\n",
         ErrorKey.requirementsUnmet, 2),
        ("554-error line=3 column=5 message=\"unknown state \\\"x\\\"\"\r\n554 invalid-template 1 error\r\n",
         ErrorKey.invalidTemplate, 1),
        ("557-broken chain=C-1 seq=4 reason=\"hash mismatch\"\r\n557 audit-broken 1 chain broken\r\n",
         ErrorKey.auditBroken, 1),
        ("450 version-conflict case changed\r\n", ErrorKey.versionConflict, 0),
    ])
    func errorReplies(wire: String, key: ErrorKey, records: Int) throws {
        let reply = try #require(try replies(wire).first?.reply)
        #expect(reply.error?.key == key)
        #expect(reply.error?.code == key.code)
        #expect(reply.records.count == records)
    }

    @Test func errorRecordFieldsAndText() throws {
        let reply = try #require(try replies("554-error line=3 column=5 message=\"unknown state \\\"x\\\"\"\r\n554 invalid-template 1 error in  template\r\n").first?.reply)
        #expect(reply.records[0]["message"] == "unknown state \"x\"")
        #expect(reply.error?.message == "1 error in  template")
        #expect(try replies("500 syntax\r\n").first?.reply?.error == .syntax(""))
    }

    @Test func unknownErrorKeyIsKept() throws {
        let error = try #require(try replies("559 new-thing later\r\n").first?.reply?.error)
        #expect(error.key == ErrorKey(rawValue: "new-thing", code: ReplyCode(559)))
    }

    @Test(arguments: [
        "250-case id=1\r\n251 OK\r\n",             // codes mixed
        "250-case id=1\r\n650 event chain=x\r\n",   // event inside a reply
        "25 OK\r\n",                                // two digits
        "2x0 OK\r\n",
        "250",                                      // no separator
        "250\r\n",
        "250*OK\r\n",                               // bad separator
        "250-\r\n",                                 // record without type
        "250-case id=\"open\r\n",                   // bad quoting
        "250-\"case\" id=1\r\n",                    // quoted type
        "050 OK\r\n",
    ])
    func malformed(_ wire: String) {
        #expect(throws: MalformedReply.self) {
            var parser = ReplyParser()
            parser.feed(wire + "250 OK\r\n")
            while try parser.next() != nil {}
            // An unfinished reply at the end is malformed too, for this test.
            if parser.isInsideReply { throw MalformedReply("unfinished", line: "") }
        }
    }

    @Test func overlongReplyLineIsMalformed() {
        var parser = ReplyParser(maxLineLength: 10)
        parser.feed("250 OK 12345678901\r\n")
        #expect(throws: MalformedReply.self) { try parser.next() }
    }

    @Test func partialInputWaits() throws {
        var parser = ReplyParser()
        parser.feed("250-case id=C-1\r\n250 O")
        #expect(try parser.next() == nil)
        #expect(parser.isInsideReply)
        parser.feed("K\r\n")
        #expect(try parser.next()?.reply?.records.count == 1)
        #expect(!parser.isInsideReply)
    }
}
