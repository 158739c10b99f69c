import ATMPClient
import FakeControlServer
import Foundation
import Testing

/// atmpctl's online commands against a scripted server on a temporary socket.
@Suite("atmpctl online commands")
struct OnlineCommandTests {
    typealias Exchange = FakeControlServer.Exchange

    static let auth = Exchange("AUTH user=alice password=pw", reply: "250 OK user=alice roles=project-lead")
    static let quit = Exchange("QUIT", reply: "250 OK bye")

    /// Runs atmpctl against a server that expects sign-in, `exchanges`, then QUIT.
    func run(_ arguments: [String], _ exchanges: [Exchange], signIn: Bool = true, quit: Bool = true,
             stdin: String? = nil) throws -> (Run, FakeControlServer) {
        let server = try FakeControlServer((signIn ? [Self.auth] : []) + exchanges + (quit ? [Self.quit] : []))
        let result = try atmpctl(arguments, stdin: stdin, environment: [
            "ATMP_SOCKET": server.path, "ATMP_USER": "alice", "ATMP_PASSWORD": "pw", "ATMP_HOST": nil,
        ])
        server.finish()
        return (result, server)
    }

    @Test func pingNeedsNoSignIn() throws {
        let (result, server) = try run(["ping"], [Exchange("PING", reply: "250 OK pong")], signIn: false)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("pong"))
        #expect(server.mismatches.isEmpty, "\(server.requests)")
    }

    @Test func caseListPrintsATableAndSendsFilters() throws {
        let (result, server) = try run(["case", "list", "--state", "clinical", "--hold", "false", "--limit", "2"], [
            Exchange("CASE LIST state=clinical hold=false limit=2", reply: """
                250-case id=C-000001 state=clinical version=7 title="AAV9 for SMA"
                250-case id=C-000002 state=clinical version=3 title=Other
                250 OK count=2 next=C-000002
                """),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(server.mismatches.isEmpty, "\(server.requests)")
        #expect(result.stdout.contains("ID        STATE     VERSION  TITLE\n"), "\(result.stdout)")
        #expect(result.stdout.contains("C-000001  clinical  7        AAV9 for SMA\n"))
        #expect(result.stdout.contains("OK count=2 next=C-000002"))
    }

    @Test func statsPrintsTheCountersAsTables() throws {
        let (result, server) = try run(["stats"], [
            Exchange("STATS", reply: """
                250-stats uptime=12 requests=40 connections=2 changes=9 conflicts=1
                250-pool size=8 open=2 in-use=1 idle=1 waiting=0 connect-failures=0
                250-command name="CASE ADVANCE" count=5 errors=1 replies=250:4,553:1 p50-us=900 p99-us=2100
                250-command name="CASE OPEN" count=3 errors=0 replies=250:3 p50-us=800 p99-us=1500
                250 OK
                """),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(server.mismatches.isEmpty, "\(server.requests)")
        #expect(result.stdout.contains("CASE ADVANCE  5      1       250:4,553:1"), "\(result.stdout)")
        #expect(result.stdout.hasPrefix("uptime       12\nrequests     40\n"), "\(result.stdout)")
        #expect(result.stdout.contains("conflicts    1\n"), "\(result.stdout)")
        #expect(result.stdout.contains("SIZE  OPEN  IN-USE"), "\(result.stdout)")
    }

    @Test func jsonIsOneDocument() throws {
        let (result, _) = try run(["case", "show", "C-000001", "--json"], [
            Exchange("CASE SHOW C-000001", reply: "250-case id=C-000001 state=a\n250-next transition=go to=b ready=true\n250 OK"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix(#"{"code":250,"ok":true,"records":[{"fields":{"id":"C-000001","state":"a"},"type":"case"}"#) == true)
    }

    @Test func unmetRequirementsExit65WithTheMissingItems() throws {
        let (result, _) = try run(["case", "advance", "C-000001", "release", "--reason", "QP certified", "--expect", "7"], [
            Exchange(#"CASE ADVANCE C-000001 release reason="QP certified" expect=7"#, reply: """
                553-missing kind=document name=batch-record
                553 requirements-unmet 1 requirement not met
                """),
        ], quit: false)
        #expect(result.status == 65)
        #expect(result.stderr.contains("atmpctl: 553 requirements-unmet: 1 requirement not met"), "\(result.stderr)")
        #expect(result.stderr.contains("  missing document: name=batch-record"), "\(result.stderr)")
    }

    @Test func aWrongPasswordExits77() throws {
        let server = try FakeControlServer([Exchange(nil, reply: "535 auth-failed wrong user or password")])
        let result = try atmpctl(["case", "show", "C-1"], environment: [
            "ATMP_SOCKET": server.path, "ATMP_USER": "alice", "ATMP_PASSWORD": "bad",
        ])
        #expect(result.status == 77)
        #expect(result.stderr.contains("535 auth-failed"))
    }

    @Test func noServerExits69() throws {
        let result = try atmpctl(["case", "list", "--socket", "/nonexistent/atmpd.sock"],
                                 environment: ["ATMP_PASSWORD": "pw"])
        #expect(result.status == 69)
        #expect(result.stderr.contains("cannot connect to /nonexistent/atmpd.sock"), "\(result.stderr)")
    }

    @Test func thePasswordIsReadFromStandardInputWithoutATerminal() throws {
        let server = try FakeControlServer([Self.auth, Exchange("TEMPLATE LIST", reply: "250 OK"), Self.quit])
        let result = try atmpctl(["template", "list"], stdin: "pw\n", environment: [
            "ATMP_SOCKET": server.path, "ATMP_USER": "alice", "ATMP_PASSWORD": nil,
        ])
        server.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(server.mismatches.isEmpty, "\(server.requests)")
    }

    @Test func attachHashesTheFileAndDefaultsUriAndTitle() throws {
        let path = try temporaryFile("batch 42.pdf", "abc")
        let uri = URL(fileURLWithPath: path).absoluteString
        let (result, server) = try run(["case", "attach", "C-000001", "--document", "batch-record", "--file", path], [
            Exchange(#"CASE ATTACH C-000001 document=batch-record sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad uri=\#(uri) title="batch 42.pdf""#,
                     reply: "250-case id=C-000001 version=4\n250 OK"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(server.mismatches.isEmpty, "\(server.requests)")
    }

    @Test func signAsksForThePasswordAgain() throws {
        let (result, server) = try run(["case", "sign", "C-000001", "release", "--meaning", "certified"], [
            Exchange("CASE SIGN C-000001 release meaning=certified password=pw", reply: "250-case id=C-000001 version=5\n250 OK"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(server.mismatches.isEmpty, "\(server.requests)")
    }

    @Test func templatePutReportsErrorsLikeTheOfflineCheck() throws {
        let path = try temporaryFile("t.yaml", "template: x\n.dot: y\n")
        let (result, server) = try run(["template", "put", path], [
            Exchange("+TEMPLATE PUT", data: ["template: x", "..dot: y"], reply: """
                554-error line=2 column=1 message="unknown key"
                554 invalid-template 1 error
                """),
        ], quit: false)
        #expect(result.status == 65)
        #expect(result.stderr.contains("\(path):2:1: error: unknown key"), "\(result.stderr)")
        #expect(server.mismatches.isEmpty, "\(server.requests)")
    }

    @Test func auditTrailOutputVerifiesOffline() throws {
        let chain = AuditVerifyCommandTests().trail(events: 3)
        let output = try temporaryFile("out.jsonl", "")
        let block = chain.lines.joined(separator: "\n")
        let (result, _) = try run(["audit", "trail", "C-000001", "--output", output], [
            Exchange("AUDIT TRAIL C-000001", reply: "250+audit chain=C-000001\n\(block)\n.\n250 OK events=3 head=\(chain.head)"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("head \(chain.head)"))
        #expect(try String(contentsOfFile: output, encoding: .utf8) == block + "\n")
        let verify = try atmpctl(["audit", "verify", output, "--head", "C-000001=\(chain.head)"])
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    @Test func auditVerifyOfAChainNameAsksTheServer() throws {
        let (result, server) = try run(["audit", "verify", "C-000002"], [
            Exchange("AUDIT VERIFY C-000002", reply: "557-broken chain=C-000002 seq=4 reason=\"hash mismatch\"\n557 audit-broken 1 chain broken"),
        ], quit: false)
        #expect(result.status == 65)
        #expect(result.stderr.contains("broken: chain=C-000002 seq=4: hash mismatch"), "\(result.stderr)")
        #expect(server.mismatches.isEmpty, "\(server.requests)")
        // A path that does not exist stays offline: no such file, not a server request.
        #expect(try atmpctl(["audit", "verify", "missing/trail.jsonl"]).status == 66)
    }

    @Test func shellSendsLinesVerbatimWithDataBlocks() throws {
        let (result, server) = try run(["shell"], [
            Exchange("case show C-1", reply: "250-case id=C-1\n250 OK"),
            Exchange("+TEMPLATE CHECK", data: ["a: 1"], reply: "250 OK"),
            Exchange("QUIT", reply: "250 OK bye"),
        ], quit: false, stdin: "case show C-1\n\n+TEMPLATE CHECK\na: 1\n.\nQUIT\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(server.mismatches.isEmpty, "\(server.requests)")
        #expect(result.stdout == "250-case id=C-1\n250 OK\n250 OK\n250 OK bye\n")
    }
}
