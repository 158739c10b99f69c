import ControlProtocol
import Foundation
import SocketTestSupport
import Testing

/// A template whose only waiting state is overdue one second after a case enters it.
let dueTemplate = """
    template: due-soon
    title: Overdue after a second
    roles: { lead: Lead }
    stages: { work: Work }
    initial: waiting
    states:
      waiting:
        stage: work
        title: Waiting
        deadline: PT1S
        transitions:
          finish: { to: finished, roles: [lead] }
      finished: { stage: work, title: Finished, final: true, outcome: in-use }
    """

/// Two atmpd processes on one PostgreSQL database, as a scaled-out
/// deployment runs them: WATCH on one sees changes made through the other,
/// one scans for overdue cases at a time, and idempotency keys hold across them.
@Suite("Several instances on one PostgreSQL database", .serialized)
struct MultiInstanceTests {
    static let password = "multi-password"

    /// Instances A and B, both listening for each other's events, with `small`
    /// and `due-soon` published and users lead, lead2, qa, reader.
    struct Pair {
        let a: AtmpdProcess
        let b: AtmpdProcess
        let rootA: ProtocolClient
        let rootB: ProtocolClient

        /// Both started; if anything on the way fails, both are stopped before the error is thrown.
        init() throws {
            let a = try AtmpdProcess.endToEnd(.postgres, extraArguments: ["--tick", "1"])
            let b = try a.anotherInstance(extraArguments: ["--tick", "1"])
            do {
                try a.startBlocking()
                try b.startBlocking()
                for daemon in [a, b] {
                    #expect(poll(seconds: 20) { daemon.logText.contains("listening for other instances' events") },
                            "\(daemon.logText)")
                }
                let rootA = try a.client()
                let rootB = try b.client()
                expectOK(try rootA.send("+TEMPLATE PUT", data: smallTemplate))
                expectOK(try rootB.send("+TEMPLATE PUT", data: dueTemplate))
                for (user, roles) in [("lead", "lead"), ("lead2", "lead"), ("qa", "qa"), ("reader", "regulator")] {
                    expectOK(try rootB.send("USER ADD \(user) roles=\(roles) password=\(MultiInstanceTests.password)"))
                }
                self.rootA = rootA
                self.rootB = rootB
            } catch {
                a.stopBlocking()
                b.stopBlocking()
                throw error
            }
            self.a = a
            self.b = b
        }

        func client(_ daemon: AtmpdProcess, _ user: String) throws -> ProtocolClient {
            try daemon.client(user, MultiInstanceTests.password)
        }

        func stop() {
            a.stopBlocking()
            b.stopBlocking()
        }
    }

    static func open(_ client: ProtocolClient, template: String = "small") throws -> String {
        let reply = try client.send(template == "small"
            ? "CASE OPEN template=small title=\"Multi case\" attr.sponsor=\"Sponsor AB\""
            : "CASE OPEN template=\(template) title=\"Due case\"")
        expectOK(reply, "CASE OPEN \(template)")
        return try #require(reply.records("case").first?["id"])
    }

    /// Reads events until one matches.
    static func waitForEvent(_ watcher: ProtocolClient, _ matches: (WatchEvent) -> Bool) throws {
        while !watcher.events.compactMap(WatchEvent.init).contains(where: matches) {
            _ = try watcher.waitForEvents(watcher.events.count + 1)
        }
    }

    /// The `650` events a watcher received, once at least `count` arrived.
    static func events(_ watcher: ProtocolClient, atLeast count: Int) throws -> [WatchEvent] {
        try watcher.waitForEvents(count).compactMap(WatchEvent.init)
    }

    @Test func watchersSeeEventsCommittedThroughEitherInstance() throws {
        let pair = try Pair()
        defer { pair.stop() }
        let leadB = try pair.client(pair.b, "lead")
        let sync = try pair.a.client()
        expectOK(try sync.send("WATCH all"))
        let otherCase = try Self.open(leadB)
        let caseID = try Self.open(leadB)
        // A has relayed everything so far once it relays the last opening:
        // the watchers below start with nothing old in flight.
        try Self.waitForEvent(sync) { $0.chain == caseID && $0.action == "case.opened" }

        // Watchers on A, one per scope.
        let all = try pair.a.client()
        expectOK(try all.send("WATCH all"))
        let byCase = try pair.client(pair.a, "lead")
        expectOK(try byCase.send("WATCH case=\(caseID)"))
        let byTemplate = try pair.client(pair.a, "reader")
        expectOK(try byTemplate.send("WATCH template=small"))
        let otherTemplate = try pair.client(pair.a, "reader")
        expectOK(try otherTemplate.send("WATCH template=due-soon"))
        let otherCaseWatcher = try pair.client(pair.a, "lead")
        expectOK(try otherCaseWatcher.send("WATCH case=\(otherCase)"))

        // Changes through B; once A's watchers have them, one through A itself
        // (its own events are published at once, others' a moment later, so
        // only this wait makes the order across instances certain); then a
        // system event through B.
        expectOK(try leadB.send("CASE NOTE \(caseID) text=\"from B\""))
        expectOK(try pair.client(pair.b, "qa").send("CASE SIGN \(caseID) submit meaning=approved password=\(Self.password)"))
        _ = try Self.events(byCase, atLeast: 2)
        expectOK(try pair.client(pair.a, "lead2").send("CASE NOTE \(caseID) text=\"from A\""))
        expectOK(try pair.rootB.send("USER ADD late roles=lead password=\(Self.password)"))

        let expected = [
            WatchEvent(chain: caseID, seq: 2, action: "case.noted", actor: "lead", state: "draft"),
            WatchEvent(chain: caseID, seq: 3, action: "signature.applied", actor: "qa", state: "draft"),
            WatchEvent(chain: caseID, seq: 4, action: "case.noted", actor: "lead2", state: "draft"),
        ]
        #expect(try Self.events(byCase, atLeast: 3) == expected)
        #expect(try Self.events(byTemplate, atLeast: 3) == expected)
        let seenByAll = try Self.events(all, atLeast: 4)
        #expect(Array(seenByAll.prefix(3)) == expected)
        #expect(seenByAll.count == 4 && seenByAll.last?.chain == "system" && seenByAll.last?.action == "user.added"
                && seenByAll.last?.actor == "root")

        // Nothing twice, and nothing for scopes the changes are outside of.
        let trailing = try pair.client(pair.b, "lead")
        expectOK(try trailing.send("CASE NOTE \(otherCase) text=marker"))
        let marker = WatchEvent(chain: otherCase, seq: 2, action: "case.noted", actor: "lead", state: "draft")
        #expect(try Self.events(otherCaseWatcher, atLeast: 1) == [marker])
        #expect(try Self.events(byTemplate, atLeast: 4) == expected + [marker])
        #expect(try Self.events(all, atLeast: 5) == seenByAll + [marker])
        #expect(try Self.events(byCase, atLeast: 3) == expected)
        expectOK(try otherTemplate.send("PING"))  // replies come after any event already queued
        #expect(otherTemplate.events.isEmpty)
        expectOK(try byCase.send("PING"))
        #expect(byCase.events.count == 3)
    }

    @Test func oneInstanceScansForOverdueCasesAndTheOtherTakesOverWhenItDies() throws {
        let pair = try Pair()
        defer { pair.stop() }
        let leadA = try pair.client(pair.a, "lead")
        let leadB = try pair.client(pair.b, "lead")
        let cases = [try Self.open(leadA, template: "due-soon"), try Self.open(leadB, template: "due-soon"),
                     try Self.open(leadA, template: "due-soon")]
        var reader = pair.rootA
        let overdue = { (id: String) throws -> Int in try trail(id, reader).filter { $0.action == "case.overdue" }.count }
        #expect(try poll(seconds: 20) { try cases.allSatisfy { try overdue($0) >= 1 } })
        Thread.sleep(forTimeInterval: 3)  // several more ticks on both instances
        #expect(try cases.map(overdue) == [1, 1, 1])

        let taken = "overdue scan lease taken"
        let holders = [pair.a, pair.b].filter { $0.logText.contains(taken) }
        #expect(holders.count == 1, "exactly one instance scans; A: \(pair.a.logText)\nB: \(pair.b.logText)")
        let holder = try #require(holders.first)
        let survivor = holder === pair.a ? pair.b : pair.a
        let survivorLead = holder === pair.a ? leadB : leadA

        // The holder dies without shutting down: its session ends, and the lock with it.
        holder.crashBlocking()
        reader = holder === pair.a ? pair.rootB : pair.rootA
        #expect(poll(seconds: 20) { survivor.logText.contains(taken) }, "\(survivor.logText)")
        let late = try Self.open(survivorLead, template: "due-soon")
        #expect(try poll(seconds: 20) { try overdue(late) >= 1 })
        Thread.sleep(forTimeInterval: 2)
        #expect(try overdue(late) == 1)
        #expect(try cases.map(overdue) == [1, 1, 1])
    }

    @Test func anIdempotencyKeyHoldsAcrossInstances() throws {
        let pair = try Pair()
        defer { pair.stop() }
        let caseID = try Self.open(try pair.client(pair.a, "lead"))

        // One after the other: B replays what A answered, and writes nothing.
        let first = try pair.client(pair.a, "lead").send("CASE NOTE \(caseID) text=once idem=k-seq")
        expectOK(first)
        let again = try pair.client(pair.b, "lead").send("CASE NOTE \(caseID) text=once idem=k-seq")
        #expect(again == first)
        expectError(try pair.client(pair.b, "lead").send("CASE NOTE \(caseID) text=different idem=k-seq"),
                    555, "idempotency-mismatch")
        #expect(try trail(caseID, pair.rootB).filter { $0.action == "case.noted" }.count == 1)

        // At the same time on both: one change, the same reply twice.
        let sockets = [pair.a.socket, pair.b.socket]
        for round in 0..<5 {
            let replies = try Self.simultaneously(sockets.map { socket in
                { () throws -> ProtocolClient in
                    let client = try ProtocolClient(socket: socket)
                    try client.authenticate("lead", Self.password)
                    return client
                }
            }, send: "CASE NOTE \(caseID) text=twin-\(round) idem=k-twin-\(round)")
            #expect(replies.count == 2 && replies[0] == replies[1], "round \(round): \(replies)")
            #expect(replies.first?.code == .ok)
        }
        let notes = try trail(caseID, pair.rootA).filter { $0.action == "case.noted" }.compactMap(\.text)
        #expect(notes == ["once"] + (0..<5).map { "twin-\($0)" })
    }

    @Test func withoutClusterEventsAnInstanceNeitherAnnouncesNorRelays() throws {
        let a = try AtmpdProcess.endToEnd(.postgres, extraArguments: ["--no-cluster-events"])
        defer { a.stopBlocking() }
        try a.startBlocking()
        let b = try a.anotherInstance()
        defer { b.stopBlocking() }
        try b.startBlocking()
        #expect(poll(seconds: 20) { b.logText.contains("listening for other instances' events") }, "\(b.logText)")
        let rootA = try a.client()
        let rootB = try b.client()
        expectOK(try rootA.send("+TEMPLATE PUT", data: smallTemplate))
        expectOK(try rootB.send("USER ADD lead roles=lead password=\(Self.password)"))
        let watcherA = try a.client()
        expectOK(try watcherA.send("WATCH all"))
        let watcherB = try b.client()
        expectOK(try watcherB.send("WATCH all"))

        let throughB = try Self.open(try b.client("lead", Self.password))
        let throughA = try Self.open(try a.client("lead", Self.password))
        // A's own change reaches A's watcher; B's does not (A does not listen).
        try Self.waitForEvent(watcherA) { $0.chain == throughA }
        // B announces, A does not: B's watcher sees its own change only.
        try Self.waitForEvent(watcherB) { $0.chain == throughB }
        Thread.sleep(forTimeInterval: 1)
        expectOK(try watcherA.send("PING"))
        expectOK(try watcherB.send("PING"))
        #expect(watcherA.events.compactMap(WatchEvent.init).map(\.chain) == [throughA])
        #expect(watcherB.events.compactMap(WatchEvent.init).map(\.chain) == [throughB])
        #expect(!a.logText.contains("listening for other instances' events") && !a.logText.contains("instance id"))
    }

    /// Connects every client first, then sends `line` on all of them at once;
    /// the replies in the order of `connect`.
    static func simultaneously(_ connect: [() throws -> ProtocolClient], send line: String) throws -> [Reply] {
        let clients = try connect.map { try $0() }
        let results = Results(count: clients.count)
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for (index, client) in clients.enumerated() {
            let box = UncheckedClient(client: client)
            group.enter()
            Thread {
                start.wait()
                results.set(index, Result { try box.client.send(line) })
                group.leave()
            }.start()
        }
        for _ in clients { start.signal() }
        group.wait()
        return try results.all()
    }
}

/// A blocking client handed to one thread.
private struct UncheckedClient: @unchecked Sendable { let client: ProtocolClient }

private final class Results: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var values: [Result<Reply, any Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Result<Reply, any Error>) { lock.withLock { values[index] = value } }
    func all() throws -> [Reply] { try lock.withLock { try values.map { try $0!.get() } } }
}
