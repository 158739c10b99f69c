import ATMPClient
import ControlProtocol
import FakeControlServer
import Foundation
import Testing

@Suite("ControlConnection against a scripted server")
struct ConnectionTests {
    typealias Exchange = FakeControlServer.Exchange

    @Test func greetingThenPing() throws {
        let server = try FakeControlServer([Exchange("PING", reply: "250 OK pong")])
        let connection = try ControlConnection(to: .unix(path: server.path))
        #expect(connection.greeting.type == "atmpd")
        #expect(connection.greeting["protocol"] == "1")
        try connection.ping()
        #expect(server.finish())
        #expect(server.mismatches.isEmpty)
    }

    @Test func requestsAreQuotedAsTheGrammarWants() throws {
        let server = try FakeControlServer([Exchange(
            #"CASE OPEN template=gene-therapy title="AAV9 for SMA" attr.indication=SMA attr.note="a=b \"q\"" idem=k1"#,
            reply: "250-case id=C-000001 state=preclinical version=1\n250 OK")])
        let connection = try ControlConnection(to: .unix(path: server.path))
        let reply = try connection.openCase(template: "gene-therapy", title: "AAV9 for SMA",
                                            attributes: [("indication", "SMA"), ("note", #"a=b "q""#)], idem: "k1")
        #expect(server.mismatches.isEmpty, "\(server.requests)")
        #expect(reply.records.first?["id"] == "C-000001")
    }

    @Test func dataBlocksAreDotStuffedBothWays() throws {
        let yaml = "template: x\n.hidden: yes\n"
        let server = try FakeControlServer([
            Exchange("+TEMPLATE PUT", data: ["template: x", "..hidden: yes"],
                     reply: "250 OK template=x version=3 sha256=abc unchanged=true"),
            Exchange("TEMPLATE SHOW x version=3",
                     reply: "250+template name=x version=3\ntemplate: x\n..hidden: yes\n.\n250 OK"),
        ])
        let connection = try ControlConnection(to: .unix(path: server.path))
        let published = try connection.putTemplate(yaml)
        #expect(published.name == "x" && published.version == 3 && published.sha256 == "abc")
        #expect(published.unchanged)
        let shown = try connection.showTemplate("x", version: 3)
        #expect(shown.yaml == yaml)
        #expect(shown.version == 3)
        #expect(server.mismatches.isEmpty, "\(server.requests)")
    }

    @Test func eventsBeforeAReplyGoToTheHandlerInOrder() throws {
        let server = try FakeControlServer([
            Exchange("WATCH all", reply: "250 OK"),
            Exchange("CASE NOTE C-000001 text=hi", reply: """
                650 event chain=C-000001 seq=2 action=case.noted actor=bob state=preclinical
                650 event chain=C-000001 seq=3 action=case.noted actor=alice state=preclinical
                250-case id=C-000001 version=3
                250 OK
                """),
        ])
        let connection = try ControlConnection(to: .unix(path: server.path))
        var events: [WatchEvent] = []
        connection.eventHandler = { if let event = WatchEvent($0) { events.append(event) } }
        try connection.watch(.all)
        let reply = try connection.noteCase("C-000001", text: "hi")
        #expect(events.map(\.seq) == [2, 3])
        #expect(events.first?.actor == "bob")
        #expect(reply.records.first?["version"] == "3")
    }

    @Test func eventsBetweenRequestsArePumped() throws {
        let server = try FakeControlServer([
            Exchange("WATCH case=C-000001", reply: """
                250 OK
                650 event chain=C-000001 seq=9 action=case.advanced actor=qp state=released
                """),
        ])
        let connection = try ControlConnection(to: .unix(path: server.path))
        var seqs: [Int] = []
        connection.eventHandler = { if let event = WatchEvent($0) { seqs.append(event.seq) } }
        try connection.watch(.case("C-000001"))
        // The event may already have arrived with the reply: pumping must deliver it either way.
        #expect(try connection.pumpEvents(timeout: .seconds(5)))
        #expect(seqs == [9])
        // Then the server closes (script done): the watcher learns it.
        #expect(throws: ClientError.connectionClosed) { try connection.pumpEvents(timeout: .seconds(5)) }
    }

    @Test func errorRepliesCarryCodeKeyTextAndRecords() throws {
        let server = try FakeControlServer([Exchange("CASE ADVANCE C-000001 release", reply: """
            553-missing kind=document name=batch-record
            553-missing kind=signature transition=release meaning=certified role=qp
            553 requirements-unmet 2 requirements are not met
            """)])
        let connection = try ControlConnection(to: .unix(path: server.path))
        do {
            _ = try connection.advanceCase("C-000001", transition: "release")
            Issue.record("a refused advance must throw")
        } catch {
            let failure = try #require(error.failure)
            #expect(failure.code == 553)
            #expect(failure.key == "requirements-unmet")
            #expect(failure.text == "2 requirements are not met")
            #expect(failure.records.map { $0["kind"] } == ["document", "signature"])
            #expect(ExitStatusMapping.status(for: error) == 65)
        }
    }

    @Test func sendReturnsErrorRepliesWithoutThrowing() throws {
        let server = try FakeControlServer([Exchange("CASE SHOW C-9", reply: "550 not-found no case C-9")])
        let connection = try ControlConnection(to: .unix(path: server.path))
        let reply = try connection.send(Request(verb: ["CASE", "SHOW"], positional: ["C-9"]))
        #expect(reply.code == 550)
        #expect(reply.error?.key == .notFound)
    }

    @Test func authenticationReadsUserAndRoles() throws {
        let server = try FakeControlServer([
            Exchange("AUTH user=alice password=\"s3cret pass\"", reply: "250 OK user=alice roles=project-lead,qp"),
        ])
        let connection = try ControlConnection(to: .unix(path: server.path))
        let identity = try connection.authenticate(user: "alice", password: "s3cret pass")
        #expect(identity == Identity(user: "alice", roles: ["project-lead", "qp"]))
    }

    @Test func aWrongPasswordIs535AndExit77() throws {
        let server = try FakeControlServer([
            Exchange(nil, reply: "535 auth-failed wrong user or password"),
        ])
        let connection = try ControlConnection(to: .unix(path: server.path))
        #expect(throws: ClientError.refused(ReplyFailure(code: 535, key: "auth-failed", text: "wrong user or password"))) {
            try connection.authenticate(user: "alice", password: "nope")
        }
        #expect(ExitStatusMapping.status(for: ReplyCode(535)) == 77)
    }

    @Test func aTooBusyGreetingIsRefusedWith452() throws {
        let server = try FakeControlServer(greeting: "452 too-busy connection limit reached", [])
        do {
            _ = try ControlConnection(to: .unix(path: server.path))
            Issue.record("a 452 greeting must throw")
        } catch {
            #expect(error.failure?.code == 452)
            #expect(error.failure?.key == "too-busy")
            #expect(ExitStatusMapping.status(for: error) == 69)
        }
    }

    @Test func aGreetingThatIsNot220IsAnError() throws {
        let server = try FakeControlServer(greeting: "250 OK hello", [])
        let error = #expect(throws: ClientError.self) { _ = try ControlConnection(to: .unix(path: server.path)) }
        guard case .unexpectedGreeting? = error else {
            Issue.record("expected unexpectedGreeting, got \(String(describing: error))")
            return
        }
    }

    @Test func noServerIsCannotConnect() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("none-\(UUID()).sock").path
        do {
            _ = try ControlConnection(to: .unix(path: path))
            Issue.record("connecting to nothing must throw")
        } catch {
            guard case .cannotConnect(let endpoint, _) = error else {
                Issue.record("expected cannotConnect, got \(error)")
                return
            }
            #expect(endpoint == path)
            #expect(ExitStatusMapping.status(for: error) == 69)
        }
    }

    @Test func aBrokenReplyIsAProtocolError() throws {
        let server = try FakeControlServer([Exchange("PING", reply: "250-pong\n251 OK")])
        let connection = try ControlConnection(to: .unix(path: server.path))
        let error = try #require(throws: ClientError.self) { try connection.ping() }
        guard case .malformedReply = error else {
            Issue.record("expected malformedReply, got \(error)")
            return
        }
        #expect(ExitStatusMapping.status(for: error) == 76)
    }

    @Test func theServerClosingMidReplyIsConnectionClosed() throws {
        let server = try FakeControlServer([Exchange("USER LIST", reply: "250-user name=a roles=admin disabled=false")])
        let connection = try ControlConnection(to: .unix(path: server.path))
        #expect(throws: ClientError.connectionClosed) { _ = try connection.listUsers() }
    }

    @Test func auditTrailKeepsTheLinesAndHead() throws {
        let line1 = #"{"action":"case.opened","chain":"C-000001","seq":1}"#
        let line2 = #"{"action":"case.noted","chain":"C-000001","seq":2}"#
        let server = try FakeControlServer([
            Exchange("AUDIT TRAIL C-000001 from=1 limit=2",
                     reply: "250+audit chain=C-000001\n\(line1)\n\(line2)\n.\n250 OK events=2 head=beef"),
            Exchange("AUDIT VERIFY", reply: "557-broken chain=C-000002 seq=4 reason=\"hash mismatch\"\n557 audit-broken 1 chain broken"),
        ])
        let connection = try ControlConnection(to: .unix(path: server.path))
        let trail = try connection.auditTrail("C-000001", from: 1, limit: 2)
        #expect(trail.jsonLines == line1 + "\n" + line2 + "\n")
        #expect(trail.events == 2)
        #expect(trail.head == "beef")
        #expect(throws: ClientError.self) { _ = try connection.verifyAudit() }
        #expect(server.mismatches.isEmpty, "\(server.requests)")
    }

    @Test func caseListSendsEveryFilter() throws {
        let server = try FakeControlServer([Exchange(
            "CASE LIST template=t state=s stage=g overdue=true hold=false limit=5 after=C-000007",
            reply: "250 OK count=0")])
        let connection = try ControlConnection(to: .unix(path: server.path))
        let reply = try connection.listCases(CaseFilter(template: "t", state: "s", stage: "g", overdue: true,
                                                        hold: false, limit: 5, after: "C-000007"))
        #expect(reply.status?["count"] == "0")
        #expect(server.mismatches.isEmpty, "\(server.requests)")
    }

    @Test func aSilentServerTimesOutEveryWayOfWaiting() throws {
        // The server takes two PINGs and says nothing.
        let server = try FakeControlServer([Exchange("PING", reply: ""), Exchange("PING", reply: ""),
                                            Exchange("QUIT", reply: "250 OK bye")])
        let connection = try ControlConnection(to: .unix(path: server.path), timeout: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        #expect(throws: ClientError.timedOut) { try connection.ping() }
        #expect(clock.now - start >= .milliseconds(250), "gave up before its timeout")
        // Nothing has arrived: a zero timeout looks without waiting, a short one waits and says so.
        #expect(try connection.pumpEvents(timeout: .zero) == false)
        #expect(try connection.pumpEvents(timeout: .milliseconds(20)) == false)
        // The per-call timeout did not replace the connection's: a request still waits 300 ms.
        let again = clock.now
        #expect(throws: ClientError.timedOut) { try connection.ping() }
        #expect(clock.now - again >= .milliseconds(250), "the connection's timeout was lost")
    }
}
