import AuditLog
import Foundation
import SocketTestSupport
import Storage
import Testing
@testable import Daemon

/// Replies to changes that leave as soon as the change is durable, straight
/// to the Unix socket (`ReplyShortcut`): what the client reads must be what
/// the event loop would have written, in order, whatever the client does.
@Suite("Control server: early replies", .timeLimit(.minutes(3)))
struct EarlyReplyTests {
    /// A server whose sessions are signed in as alice (admin and lead) with
    /// the loop template published; `watching` sessions watch everything.
    func started(postgres: Bool, watching: Bool = false, tcp: Bool = false) async throws -> TestServer {
        let server = try await TestServer.start(postgres: postgres, { configuration in
            if tcp { configuration.tcp = .init(host: "127.0.0.1", port: 0) }
        }, prepareSession: { session in
            session.user = "alice"
            if watching { session.watch = .all }
        })
        try await LoopCases.prepare(server)
        return server
    }

    func openCase(_ client: TestClient) async throws -> String { try await LoopCases.open(client) }

    func field(_ name: String, in line: String) -> String? { LoopCases.field(name, in: line) }

    func earlyReplies(_ server: TestServer) async throws -> Int {
        let client = try await server.connectGreeted()
        try await client.send("STATS\n")
        let reply = try await client.readReply()
        let stats = try #require(reply.first { $0.hasPrefix("250-stats ") })
        return try #require(Int(field("early-replies", in: stats) ?? ""))
    }

    @Test(arguments: [false, true])
    func changesOnTheUnixSocketAreAnsweredEarly(postgres: Bool) async throws {
        let server = try await started(postgres: postgres)
        let client = try await server.connectGreeted()
        let id = try await openCase(client)
        for n in 1...20 {
            try await client.send("CASE ADVANCE \(id) \(n % 2 == 1 ? "forth" : "back")\n")
            let reply = try await client.readReply()
            #expect(reply.count == 2 && reply[1] == "250 OK", "\(reply)")
            #expect(field("version", in: reply[0]) == "\(n + 1)", "\(reply)")
        }
        // A refused change is answered the usual way.
        try await client.send("CASE ADVANCE \(id) back\n")
        #expect(try await client.readFinal().hasPrefix("5"))
        // The open and the twenty advances. On PostgreSQL the lane writes the
        // reply just after resuming the request's task; a busy machine may let
        // the task come first, and then the event loop writes it.
        let early = try await earlyReplies(server)
        #expect(postgres ? (1...21).contains(early) : early == 21, "\(early)")
        try await server.stop()
    }

    /// A reply may leave before its event loop has finished the change; a
    /// client acting on it at once on another connection must still find the
    /// case as the reply says (the cache is updated before the reply leaves).
    /// Two connections take turns moving one case back and forth.
    @Test(arguments: [false, true])
    func aChangeMadeRightAfterAnEarlyReplyOnAnotherConnectionSeesIt(postgres: Bool) async throws {
        let server = try await started(postgres: postgres)
        let first = try await server.connectGreeted()
        let second = try await server.connectGreeted()
        let id = try await openCase(first)
        for n in 1...100 {
            let client = n % 2 == 1 ? first : second
            try await client.send("CASE ADVANCE \(id) \(n % 2 == 1 ? "forth" : "back")\n")
            let reply = try await client.readReply()
            #expect(reply.last == "250 OK" && field("version", in: reply[0]) == "\(n + 1)", "\(n): \(reply)")
        }
        try await server.stop()
    }

    /// Events are written beside the replies of a watching session: its
    /// replies never take the shortcut.
    @Test func aWatchingSessionIsAnsweredByTheEventLoop() async throws {
        let server = try await started(postgres: true, watching: true)
        let client = try await server.connectGreeted()
        let id = try await openCase(client)
        try await client.send("CASE ADVANCE \(id) forth\n")
        #expect(try await client.readFinal() == "250 OK")
        #expect(try await earlyReplies(server) == 0)
        try await server.stop()
    }

    @Test func tcpConnectionsAreAnsweredByTheEventLoop() async throws {
        let server = try await started(postgres: true, tcp: true)
        let client = try TestClient(loopbackPort: try #require(server.server.boundTCPPort))
        #expect(try await client.readLine()?.hasPrefix("220 ") == true)
        let id = try await openCase(client)
        try await client.send("CASE ADVANCE \(id) forth\n")
        #expect(try await client.readFinal() == "250 OK")
        #expect(try await earlyReplies(server) == 0)
        try await server.stop()
    }

    /// Thousands of changes pipelined by a client that reads only after a
    /// while: the server's writes back up, early replies meet a full socket
    /// and the event loop sends what they could not. Every reply arrives
    /// once, whole, in request order.
    @Test(arguments: [false, true])
    func pipelinedChangesKeepTheirOrderWhenTheClientReadsLate(postgres: Bool) async throws {
        let server = try await started(postgres: postgres)
        let client = try await server.connectGreeted()
        client.shrinkReceiveBuffer()
        var cases: [String] = []
        for _ in 0..<8 { cases.append(try await openCase(client)) }
        let rounds = 600  // 4,800 changes, some 400 KB of replies
        var requests = ""
        for round in 0..<rounds {
            for id in cases { requests += "CASE ADVANCE \(id) \(round % 2 == 0 ? "forth" : "back")\n" }
        }
        let sending = Task { try await client.send(requests) }
        // Until the server is stuck on the full socket: no more replies leave.
        var stalled = 0
        var last = -1
        while stalled < 3 {
            try await Task.sleep(for: .milliseconds(100))
            let now = try await earlyReplies(server)
            stalled = now == last ? stalled + 1 : 0
            last = now
        }
        for round in 0..<rounds {
            for id in cases {
                let reply = try await client.readReply()
                #expect(reply.count == 2 && reply[1] == "250 OK", "\(reply)")
                #expect(field("id", in: reply[0]) == id && field("version", in: reply[0]) == "\(round + 2)", "\(reply)")
            }
        }
        try await sending.value
        try await client.send("PING\n")
        #expect(try await client.readFinal() == "250 OK pong")
        // Both ways were taken: early while the socket had room, the usual way once it was full.
        let early = try await earlyReplies(server)
        #expect(early > 0 && early < 8 + rounds * cases.count, "\(early)")
        try await server.stop()
    }

    /// A client gone before its reply: the early reply finds no reader, the
    /// change stands, and the server serves others as before.
    @Test func aClientGoneBeforeItsReplyHurtsNobody() async throws {
        let server = try await started(postgres: true)
        let first = try await server.connectGreeted()
        let id = try await openCase(first)
        for _ in 0..<20 {
            let leaving = try await server.connectGreeted()
            try await leaving.send("CASE ADVANCE \(id) forth\nCASE ADVANCE \(id) back\n")
            leaving.hangUp()
        }
        try await first.send("CASE SHOW \(id)\n")
        let shown = try await first.readReply()
        #expect(shown.last == "250 OK", "\(shown)")
        try await first.send("PING\n")
        #expect(try await first.readFinal() == "250 OK pong")
        try await server.stop()
    }
}
