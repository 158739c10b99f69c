import AuditLog
import ControlProtocol
import Foundation
import SocketTestSupport
import Storage
import Synchronization
import Testing
@testable import Daemon

/// Requests read by a spinning commit lane instead of the event loop
/// (`DirectInput`, `LaneWatch`): the client must see exactly what it would
/// see otherwise — every reply, in order — whatever it does: pipeline,
/// pause, watch, go idle, shut down its writing.
///
/// The lanes spin for up to 20 ms here (1 ms in production), so that a slow
/// test machine still has them spinning between a client's requests.
@Suite("Control server: requests read by a commit lane", .timeLimit(.minutes(3)))
struct LaneReadTests {
    func started(laneReads: Bool = true, _ configure: @escaping (inout ServerConfiguration) -> Void = { _ in })
        async throws -> TestServer
    {
        let server = try await TestServer.start(postgres: true, commitSpin: .milliseconds(20), { configuration in
            configuration.laneReadsRequests = laneReads
            configure(&configuration)
        }, prepareSession: { session in
            session.user = "alice"
        })
        try await LoopCases.prepare(server)
        return server
    }

    func openCase(_ client: TestClient) async throws -> String { try await LoopCases.open(client) }

    func field(_ name: String, in line: String) -> String? { LoopCases.field(name, in: line) }

    /// Advances `id` from `version` to `version + count`, one request at a
    /// time, checking each reply; the version reached.
    @discardableResult
    func advance(_ client: TestClient, _ id: String, from version: Int, count: Int) async throws -> Int {
        for n in 1...count {
            let now = version + n
            try await client.send("CASE ADVANCE \(id) \(now % 2 == 0 ? "forth" : "back")\n")
            let reply = try await client.readReply()
            #expect(reply.count == 2 && reply[1] == "250 OK", "\(reply)")
            #expect(field("version", in: reply[0]) == "\(now)", "\(reply)")
        }
        return version + count
    }

    /// A client that advances a case of its own, request after request,
    /// until told to stop: it keeps the lane spinning (and never idles).
    final class BusyClient: Sendable {
        private final class Flag: Sendable {
            private let value = Mutex(false)
            func set() { value.withLock { $0 = true } }
            var isSet: Bool { value.withLock { $0 } }
        }
        private let stopped = Flag()
        private let running: Task<Void, any Error>

        init(_ server: TestServer, _ test: LaneReadTests) async throws {
            let client = try await server.connectGreeted()
            let id = try await test.openCase(client)
            let stopped = self.stopped
            running = Task {
                var version = 1
                while !stopped.isSet { version = try await test.advance(client, id, from: version, count: 5) }
            }
        }

        func stop() async throws {
            stopped.set()
            try await running.value
        }
    }

    /// Runs `body` again and again until the lane has read a request, for up
    /// to 30 s: a lane spins only once its waits are short, which a loaded
    /// machine may delay. True once it has.
    func untilTheLaneReads(_ server: TestServer, _ body: () async throws -> Void) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        let before = try await groupCommit(server).reads
        repeat {
            try await body()
            if try await groupCommit(server).reads > before { return true }
        } while ContinuousClock.now < deadline
        return false
    }

    /// A case of its own advanced by `client` until the lane reads the
    /// client's requests; the case and the version reached.
    func advancedUntilTheLaneReads(_ client: TestClient, _ server: TestServer) async throws -> (id: String, version: Int) {
        let id = try await openCase(client)
        var version = 1
        #expect(try await untilTheLaneReads(server) { version = try await advance(client, id, from: version, count: 20) })
        return (id, version)
    }

    func groupCommit(_ server: TestServer) async throws -> (reads: Int, handBacks: Int) {
        let client = try await server.connectGreeted()
        try await client.send("STATS\n")
        let reply = try await client.readReply()
        let record = try #require(reply.first { $0.hasPrefix("250-group-commit ") }, "\(reply)")
        return (try #require(Int(field("lane-reads", in: record) ?? "")),
                try #require(Int(field("lane-hand-backs", in: record) ?? "")))
    }

    func lanesRunning(_ server: TestServer) async throws -> Int {
        let client = try await server.connectGreeted()
        try await client.send("STATS\n")
        let reply = try await client.readReply()
        let record = try #require(reply.first { $0.hasPrefix("250-group-commit ") }, "\(reply)")
        return try #require(Int(field("lanes-running", in: record) ?? ""))
    }

    func version(of id: String, _ server: TestServer) async throws -> Int {
        let client = try await server.connectGreeted()
        try await client.send("CASE SHOW \(id)\n")
        let reply = try await client.readReply()
        #expect(reply.last == "250 OK", "\(reply)")
        let record = try #require(reply.first { $0.hasPrefix("250-case ") }, "\(reply)")
        return try #require(Int(field("version", in: record) ?? ""))
    }

    /// What a lane serves itself: the case changes, CASE SHOW and PING;
    /// anything that may take long or has the session change goes to the loop.
    @Test func aLaneServesCaseChangesAndLittleElse() {
        for verb in [["CASE", "ADVANCE"], ["CASE", "ATTACH"], ["CASE", "SIGN"], ["CASE", "HOLD"], ["CASE", "RESUME"],
                     ["CASE", "NOTE"], ["CASE", "SET"], ["CASE", "SHOW"], ["PING"]]
        {
            #expect(RequestLoop.servedOnLane(Request(verb: verb)), "\(verb)")
        }
        for verb in [["CASE", "LIST"], ["CASE", "OPEN"], ["AUDIT", "VERIFY"], ["AUDIT", "EXPORT"], ["TEMPLATE", "PUT"],
                     ["WATCH"], ["UNWATCH"], ["AUTH"], ["STATS"], ["QUIT"], ["CASE"]]
        {
            #expect(!RequestLoop.servedOnLane(Request(verb: verb)), "\(verb)")
        }
    }

    /// Change after change from one client: the lane reads them (unless
    /// told not to), and every reply is right.
    @Test(arguments: [true, false])
    func aSpinningLaneReadsAClientsNextRequests(laneReads: Bool) async throws {
        let server = try await started(laneReads: laneReads)
        let client = try await server.connectGreeted()
        let id = try await openCase(client)
        if laneReads {
            var version = 1
            #expect(try await untilTheLaneReads(server) { version = try await advance(client, id, from: version, count: 20) })
        } else {
            try await advance(client, id, from: 1, count: 200)
            #expect(try await groupCommit(server).reads == 0)
        }
        try await server.stop()
    }

    /// A burst of requests in one write — changes, and requests the lane
    /// leaves to the event loop (STATS) — is answered whole and in order:
    /// sent while the lane reads the connection, and sent after a pause,
    /// when NIO reads it and the lane takes over halfway through.
    @Test func pipelinedRequestsKeepTheirOrderWhileTheLaneReads() async throws {
        let server = try await started()
        let client = try await server.connectGreeted()
        var cases: [String] = []
        for _ in 0..<4 { cases.append(try await openCase(client)) }
        var version = 1
        #expect(try await untilTheLaneReads(server) {
            for id in cases { try await advance(client, id, from: version, count: 10) }
            version += 10
        })
        for pause in [0, 100, 100] {
            try await Task.sleep(for: .milliseconds(pause))
            let rounds = 200
            var requests = ""
            for round in 0..<rounds {
                let transition = (version + round + 1) % 2 == 0 ? "forth" : "back"
                for id in cases { requests += "CASE ADVANCE \(id) \(transition)\n" }
                if round % 20 == 0 { requests += "STATS\nPING\n" }
            }
            let sending = Task { try await client.send(requests) }
            for round in 0..<rounds {
                for id in cases {
                    let reply = try await client.readReply()
                    #expect(reply.count == 2 && reply[1] == "250 OK", "\(reply)")
                    #expect(field("id", in: reply[0]) == id && field("version", in: reply[0]) == "\(version + round + 1)",
                            "\(reply)")
                }
                if round % 20 == 0 {
                    let stats = try await client.readReply()
                    #expect(stats.first?.hasPrefix("250-stats ") == true && stats.last == "250 OK", "\(stats)")
                    #expect(try await client.readFinal() == "250 OK pong")
                }
            }
            try await sending.value
            version += rounds
        }
        try await advance(client, cases[0], from: version, count: 20)
        try await server.stop()
    }

    /// A new connection's first write is a burst, read by NIO in several
    /// pieces, while another client keeps the lane spinning: the lane may
    /// take over only once the request loop has everything NIO read, or the
    /// rest of the burst would overtake it.
    @Test func aBurstReadByNIOIsFinishedBeforeTheLaneReads() async throws {
        let server = try await started()
        let busy = try await BusyClient(server, self)
        // The lane spins for the busy client, and reads it.
        #expect(try await untilTheLaneReads(server) { try await Task.sleep(for: .milliseconds(20)) })
        for _ in 0..<3 {
            let client = try await server.connectGreeted()
            var cases: [String] = []
            for _ in 0..<4 { cases.append(try await openCase(client)) }
            let fresh = try await server.connectGreeted()
            let rounds = 150
            var requests = ""
            for round in 0..<rounds {
                for id in cases { requests += "CASE ADVANCE \(id) \(round % 2 == 0 ? "forth" : "back")\n" }
            }
            try await fresh.send(requests)
            for round in 0..<rounds {
                for id in cases {
                    let reply = try await fresh.readReply()
                    #expect(reply.count == 2 && reply[1] == "250 OK", "\(reply)")
                    #expect(field("id", in: reply[0]) == id && field("version", in: reply[0]) == "\(round + 2)", "\(reply)")
                }
            }
        }
        try await busy.stop()
        try await server.stop()
    }

    /// A client that pauses past the lane's spin stays with the lane: asleep
    /// in poll(2) over the client's socket, the lane reads the next request
    /// when it comes.
    @Test func aClientThatPausesIsStillReadByTheLane() async throws {
        let server = try await started()
        let client = try await server.connectGreeted()
        var (id, version) = try await advancedUntilTheLaneReads(client, server)
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(100))
            let before = try await groupCommit(server).reads
            version = try await advance(client, id, from: version, count: 1)
            #expect(try await groupCommit(server).reads == before + 1)
        }
        try await server.stop()
    }

    /// A connection that starts waiting for the lane while the lane sleeps
    /// in poll(2) (its last request was served on the event loop) wakes the
    /// lane, which then polls its socket too: the next request is read by
    /// the lane, not left until the lane's idle time runs out.
    @Test func aConnectionWatchedWhileTheLaneSleepsIsReadAtOnce() async throws {
        let server = try await started()
        let first = try await server.connectGreeted()
        let (id, version) = try await advancedUntilTheLaneReads(first, server)
        try await Task.sleep(for: .milliseconds(100))  // the lane's spin is over: it sleeps
        let second = try await server.connectGreeted()
        try await second.send("PING\n")  // read by NIO, served on the event loop
        #expect(try await second.readReply().last?.hasPrefix("250") == true)
        try await Task.sleep(for: .milliseconds(50))
        let before = try await groupCommit(server).reads
        // Left unread by the lane, it would wait for the lane's idle time to
        // run out (2 s) and be handed back to NIO.
        try await advance(second, id, from: version, count: 1)
        #expect(try await groupCommit(server).reads == before + 1)
        try await server.stop()
    }

    /// A client that pauses longer than the lane's idle time is handed back
    /// when the lane ends, served on its event loop, and read by the lane
    /// again once one runs.
    @Test func aClientThatOutwaitsTheLaneIsHandedBackAndServedOn() async throws {
        let server = try await started()
        let client = try await server.connectGreeted()
        var (id, version) = try await advancedUntilTheLaneReads(client, server)
        let deadline = ContinuousClock.now + .seconds(10)
        while try await lanesRunning(server) > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(try await lanesRunning(server) == 0)
        version = try await advance(client, id, from: version, count: 5)
        #expect(try await untilTheLaneReads(server) { version = try await advance(client, id, from: version, count: 20) })
        #expect(try await self.version(of: id, server) == version)
        try await server.stop()
    }

    /// A request followed at once by end of input (a half-close): it is
    /// served as on the event loop — committed, and answered while the
    /// client still reads — never lost or served twice.
    @Test func aRequestFollowedByEndOfInputIsServedOnce() async throws {
        let server = try await started()
        let warm = try await server.connectGreeted()
        let id = try await openCase(warm)
        var version = try await advance(warm, id, from: 1, count: 40)
        for _ in 0..<20 {
            let client = try await server.connectGreeted()
            version = try await advance(client, id, from: version, count: 3)
            try await client.send("CASE ADVANCE \(id) \((version + 1) % 2 == 0 ? "forth" : "back")\n")
            client.shutDownWriting()
            let lines = try await client.readToEnd()
            version += 1
            #expect(try await self.version(of: id, server) == version, "\(lines)")
            if let first = lines.first { #expect(field("version", in: first) == "\(version)", "\(lines)") }
        }
        try await server.stop()
    }

    /// A connection the lane reads still times out when idle, even while
    /// another client keeps the lane spinning.
    @Test func anIdleConnectionIsClosedWhileTheLaneSpinsForAnother() async throws {
        let server = try await started {
            $0.idleTimeout = .seconds(2)
            $0.watchdogInterval = .milliseconds(50)
        }
        // Busy from the start, so that it never idles itself.
        let busy = try await BusyClient(server, self)
        let idle = try await server.connectGreeted()
        let idleCase = try await openCase(idle)
        try await advance(idle, idleCase, from: 1, count: 30)
        let lines = try await idle.readToEnd()
        #expect(lines.count == 1 && lines.first?.hasPrefix("421 idle-timeout ") == true, "\(lines)")
        try await busy.stop()
        try await server.stop()
    }

    /// A session that starts watching is read by its event loop again:
    /// events and replies share the socket, in order.
    @Test func aSessionThatStartsWatchingGetsItsEvents() async throws {
        let server = try await started()
        let watcher = try await server.connectGreeted()
        let other = try await server.connectGreeted()
        let id = try await openCase(watcher)
        try await advance(watcher, id, from: 1, count: 30)
        try await watcher.send("WATCH case=\(id)\n")
        #expect(try await watcher.readFinal().hasPrefix("250 "))
        try await advance(other, id, from: 31, count: 1)
        let event = try await watcher.readLine()
        #expect(event?.hasPrefix("650 event chain=\(id) seq=32 ") == true, "\(String(describing: event))")
        try await watcher.send("PING\n")
        #expect(try await watcher.readFinal() == "250 OK pong")
        try await server.stop()
    }
}
