import ATMPClient
import AuditLog
import ControlProtocol
import Testing

@Suite("Rendering")
struct RenderingTests {
    let cases = [
        ReplyRecord("case", fields: [Field("id", "C-000001"), Field("state", "preclinical"), Field("title", "AAV9 for SMA")]),
        ReplyRecord("case", fields: [Field("id", "C-000002"), Field("state", "clinical"), Field("hold", "true")]),
    ]

    @Test func tablesAlignColumnsInFirstSeenOrder() {
        #expect(TableRenderer.table(cases) == """
            ID        STATE        TITLE         HOLD
            C-000001  preclinical  AAV9 for SMA
            C-000002  clinical                   true

            """)
    }

    @Test func runsOfTypesGetHeadingsAndDataFollows() {
        let records = [cases[0],
                       ReplyRecord("next", fields: [Field("transition", "go"), Field("ready", "false")]),
                       ReplyRecord("graph", fields: [Field("format", "dot")], data: "digraph {}\n")]
        let text = TableRenderer.render(records)
        #expect(text.hasPrefix("case:\nID"))
        #expect(text.contains("\nnext:\nTRANSITION  READY\ngo          false\n"))
        #expect(text.hasSuffix("FORMAT\ndot\ndigraph {}\n"))
        #expect(!TableRenderer.render([cases[0]]).contains("case:"), "a single run needs no heading")
    }

    @Test func detailsAlignKeys() {
        #expect(TableRenderer.details(cases[0]) == "id     C-000001\nstate  preclinical\ntitle  AAV9 for SMA\n")
    }

    @Test func aRecordLineQuotesLikeTheWire() {
        let record = ReplyRecord("missing", fields: [Field("kind", "document"), Field("name", "batch record")])
        #expect(TableRenderer.line(record) == #"missing kind=document name="batch record""#)
    }

    @Test func jsonOfASuccessKeepsFieldValuesAsStrings() {
        let reply = Reply.ok([ReplyRecord("case", fields: [Field("id", "C-1"), Field("attr.lot", "007")])],
                             fields: [Field("count", "1")])
        #expect(JSONRenderer.text(JSONRenderer.reply(reply)) == #"{"code":250,"ok":true,"records":[{"fields":{"attr.lot":"007","id":"C-1"},"type":"case"}],"status":{"fields":{"count":"1"},"type":"OK","words":[]}}"#)
    }

    @Test func jsonOfAnErrorHasKeyTextAndRecords() {
        let reply = Reply.error(.requirementsUnmet("1 missing"),
                                records: [ReplyRecord("missing", fields: [Field("kind", "attribute")])])
        #expect(JSONRenderer.text(JSONRenderer.reply(reply)) == #"{"code":553,"key":"requirements-unmet","ok":false,"records":[{"fields":{"kind":"attribute"},"type":"missing"}],"text":"1 missing"}"#)
        let offline = JSONRenderer.text(JSONRenderer.clientError(.cannotConnect(endpoint: "/x", reason: "refused")))
        #expect(offline == #"{"code":null,"key":"cannot-connect","ok":false,"records":[],"text":"cannot connect to /x: refused"}"#)
    }

    @Test func jsonEventsAreParsedAndGarbageKept() {
        let events = JSONRenderer.events("{\"seq\":1}\nnot json\n")
        #expect(events == .array([.object(["seq": .int(1)]), .string("not json")]))
    }
}

@Suite("Exit statuses and endpoints")
struct ExitStatusTests {
    @Test func everyCodeClassMapsAsDocumented() {
        let expected: [Int: Int32] = [
            250: 0, 421: 69, 450: 75, 451: 69, 452: 69, 500: 1, 501: 1, 503: 1, 530: 77, 535: 77, 550: 1, 551: 77,
            552: 65, 553: 65, 554: 65, 555: 65, 557: 65, 599: 1,
        ]
        for (code, status) in expected {
            #expect(ExitStatusMapping.status(for: ReplyCode(code)) == status, "code \(code)")
        }
        #expect(ExitStatusMapping.status(for: .timedOut) == 69)
        #expect(ExitStatusMapping.status(for: .usage("x")) == 64)
        #expect(ExitStatusMapping.status(for: .io("x")) == 74)
    }

    @Test func endpointPrecedence() throws {
        let none: (String) -> Bool = { _ in false }
        let local: (String) -> Bool = { $0 == Endpoint.localSocket }
        #expect(try Endpoint.resolve(socket: nil, host: nil, port: nil, environment: [:], fileExists: none)
                == .unix(path: "/run/atmp/atmpd.sock"))
        #expect(try Endpoint.resolve(socket: nil, host: nil, port: nil, environment: [:], fileExists: local)
                == .unix(path: "./.atmp/atmpd.sock"))
        #expect(try Endpoint.resolve(socket: nil, host: nil, port: nil, environment: ["ATMP_SOCKET": "/e"], fileExists: local)
                == .unix(path: "/e"))
        #expect(try Endpoint.resolve(socket: "/o", host: nil, port: nil, environment: ["ATMP_SOCKET": "/e", "ATMP_HOST": "h", "ATMP_PORT": "1"],
                                     fileExists: none) == .unix(path: "/o"))
        #expect(try Endpoint.resolve(socket: nil, host: nil, port: nil, environment: ["ATMP_SOCKET": "/e", "ATMP_HOST": "h", "ATMP_PORT": "7000"],
                                     fileExists: none) == .tcp(host: "h", port: 7000))
        #expect(try Endpoint.resolve(socket: nil, host: "db", port: 1, environment: [:], fileExists: none) == .tcp(host: "db", port: 1))
        #expect(throws: ClientError.self) { try Endpoint.resolve(socket: nil, host: "h", port: nil, environment: [:], fileExists: none) }
        #expect(throws: ClientError.self) { try Endpoint.resolve(socket: nil, host: "h", port: 70000, environment: [:], fileExists: none) }
        #expect(throws: ClientError.self) { try Endpoint.resolve(socket: nil, host: nil, port: 80, environment: [:], fileExists: none) }
    }
}
