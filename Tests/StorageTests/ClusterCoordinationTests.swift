import AuditLog
import Foundation
import Logging
import PostgresClient
import PostgresTestSupport
import Synchronization
import Testing
@testable import Storage

/// What several atmpd instances on one PostgreSQL database coordinate
/// through: event notifications sent after the commit by the publisher, the
/// listener that receives them, and the overdue scan lease.
@Suite("Cluster coordination (PostgreSQL)")
struct ClusterCoordinationTests {
    static let logger: Logger = {
        var logger = Logger(label: "atmp.test.cluster")
        logger.logLevel = .warning
        return logger
    }()

    /// A migrated database with the sample template, and a store on it.
    static func store() async throws -> (SQLStore, String) {
        let url = try PostgresTestCluster.shared.createDatabase(prefix: "atmp_cluster")
        let store = try await PostgresStore.open(connectionString: url, poolSize: 4, logger: logger)
        _ = try await store.migrate()
        _ = try await publishSampleTemplate(store)
        return (store, url)
    }

    /// A session LISTENing on the events channel.
    static func listening(_ url: String) throws -> PostgresConnection {
        let connection = try PostgresConnection(url)
        try connection.listen(EventNotification.channel)
        return connection
    }

    /// Decoded notifications received within about 5 s, until `done` says enough.
    static func receive(on connection: PostgresConnection, until done: ([EventNotification]) -> Bool) throws
        -> [EventNotification]
    {
        var received: [EventNotification] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while !done(received) && ContinuousClock.now < deadline {
            for notification in try connection.waitForNotifications(timeout: .milliseconds(100)) {
                #expect(notification.payload.utf8.count < 8_000)
                if let decoded = EventNotification(payload: notification.payload) { received.append(decoded) }
            }
        }
        return received
    }

    /// The items the daemon hands the publisher for committed events.
    static func items(_ events: [AuditEvent], state: String?, template: String?) -> [EventNotification.Item] {
        events.map { .init(chain: $0.chain, seq: $0.seq, action: $0.action, actor: $0.actor, state: state, template: template) }
    }

    @Test func payloadsRoundTripAndStayUnderTheLimit() {
        let items = (1...400).map {
            EventNotification.Item(chain: "C-\($0 % 7)", seq: Int64($0), action: "case.noted", actor: "al\"ice\\",
                                   state: $0 % 2 == 0 ? "draft" : nil, template: "trial ü")
        } + [.init(chain: "C-9", seq: 401, action: String(repeating: "x", count: 7_500), actor: "a", state: nil, template: nil)]
        let payloads = EventNotification.payloads(origin: "inst \"a\"", items: items)
        #expect(payloads.count > 1)
        #expect(payloads.allSatisfy { $0.utf8.count <= EventNotification.payloadLimit })
        let decoded = payloads.compactMap(EventNotification.init(payload:))
        #expect(decoded.count == payloads.count)
        #expect(Set(decoded.map(\.origin)) == ["inst \"a\""])
        let received = decoded.flatMap(\.items)
        #expect(Array(received.dropLast()) == Array(items.dropLast()))
        #expect(received.last == .init(chain: "C-9", seq: 401, action: nil, actor: nil, state: nil, template: nil))
        #expect(received.last?.isReference == true)
        #expect(EventNotification.payloads(origin: "x", items: []).isEmpty)
    }

    @Test func thePublisherAnnouncesCommittedEventsWithOriginStateAndTemplate() async throws {
        let (store, url) = try await Self.store()
        let listener = try Self.listening(url)
        let publisher = ClusterEventPublisher(connectionString: url, origin: "inst-a", logger: Self.logger)
        publisher.start()
        defer { publisher.stop() }

        var builder = CaseBuilder(id: try await store.allocateCaseID(), at: Timestamp(seconds: 1_800_000_000))
        let first = builder.write(since: 0)
        try await store.commit(first)
        publisher.enqueue(Self.items(first.events, state: "draft", template: "store-test"))
        builder.append(at: Timestamp(seconds: 1_800_000_001))
        builder.append(at: Timestamp(seconds: 1_800_000_002))
        let second = builder.write(since: 1)
        try await store.commit(second)
        publisher.enqueue(Self.items(second.events, state: "draft", template: "store-test"))

        let received = try Self.receive(on: listener) { $0.flatMap(\.items).count >= 3 }
        #expect(Set(received.map(\.origin)) == ["inst-a"])
        let id = builder.current.id
        #expect(received.flatMap(\.items) == [
            .init(chain: id, seq: 1, action: "case.opened", actor: "alice", state: "draft", template: "store-test"),
            .init(chain: id, seq: 2, action: "case.noted", actor: "alice", state: "draft", template: "store-test"),
            .init(chain: id, seq: 3, action: "case.noted", actor: "alice", state: "draft", template: "store-test"),
        ])
        #expect(await waitUntil { publisher.sent == 3 })
        #expect(publisher.dropped == 0 && publisher.queued == 0)
        // The data commits themselves announce nothing.
        builder.append(at: Timestamp(seconds: 1_800_000_003))
        try await store.commit(builder.write(since: 3))
        #expect(try listener.waitForNotifications(timeout: .milliseconds(300)).isEmpty)
        await store.close()
    }

    @Test func thePublishersSessionWaitsForNoWALFlush() async throws {
        let (store, url) = try await Self.store()
        await store.close()
        let connection = try PostgresConnection(url)
        try ClusterEventPublisher.prepare(connection)
        #expect(try connection.execute("SHOW synchronous_commit").rows.first?.text(0) == "off")
        #expect(try connection.execute("SHOW application_name").rows.first?.text(0)
                == ClusterEventPublisher.applicationName)
    }

    @Test func manyEventsAreSplitAndHugeOnesSentAsReferences() async throws {
        let (store, url) = try await Self.store()
        let listener = try Self.listening(url)
        let publisher = ClusterEventPublisher(connectionString: url, origin: "inst-a", logger: Self.logger)
        var builder = CaseBuilder(id: try await store.allocateCaseID(), at: Timestamp(seconds: 1_800_000_000))
        for n in 0..<300 { builder.append(at: Timestamp(seconds: 1_800_000_001 + Int64(n))) }
        builder.append(action: "case." + String(repeating: "x", count: 7_500), at: Timestamp(seconds: 1_800_001_000))
        let write = builder.write(since: 0)
        try await store.commit(write)
        publisher.enqueue(Self.items(write.events, state: "draft", template: "store-test"))
        publisher.start()  // queued before the sender ran: sent together, split
        defer { publisher.stop() }

        let received = try Self.receive(on: listener) { $0.flatMap(\.items).count >= 302 }
        #expect(received.count > 1)
        let items = received.flatMap(\.items)
        #expect(items.map(\.seq) == Array(1...302))
        #expect(items.filter(\.isReference).map(\.seq) == [302])
        #expect(await waitUntil { publisher.sent == 302 })
        #expect(publisher.notifications == received.count)
        await store.close()
    }

    @Test func thePublisherReconnectsAfterItsSessionIsKilled() async throws {
        let (store, url) = try await Self.store()
        await store.close()
        let listener = try Self.listening(url)
        let publisher = ClusterEventPublisher(connectionString: url, origin: "inst-a", logger: Self.logger)
        let finished = Atomic<Bool>(false)
        publisher.start(finished: { finished.store(true, ordering: .relaxed) })
        let event = { (seq: Int64) in
            EventNotification.Item(chain: "system", seq: seq, action: "user.added", actor: "a", state: nil, template: nil)
        }
        publisher.enqueue([event(1)])
        #expect(try Self.receive(on: listener) { !$0.isEmpty }.flatMap(\.items).map(\.seq) == [1])

        let admin = try PostgresConnection(url)
        try admin.execute("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = $1
            """, [.text(ClusterEventPublisher.applicationName)])
        // The next send finds the session dead, reconnects and sends it then.
        try? await Task.sleep(for: .milliseconds(200))
        publisher.enqueue([event(2)])
        publisher.enqueue([event(3)])
        let later = try Self.receive(on: listener) { $0.flatMap(\.items).count >= 2 }
        #expect(later.flatMap(\.items).map(\.seq) == [2, 3])
        #expect(publisher.connectionCount == 2)
        #expect(await waitUntil { publisher.sent == 3 })
        #expect(publisher.dropped == 0)

        publisher.stop()
        #expect(await waitUntil { finished.load(ordering: .relaxed) })
    }

    @Test func beyondItsBoundThePublisherDropsAndCounts() async throws {
        let (store, url) = try await Self.store()
        await store.close()
        let listener = try Self.listening(url)
        let publisher = ClusterEventPublisher(connectionString: url, origin: "inst-a", bound: 3, logger: Self.logger)
        let event = { (seq: Int64) in
            EventNotification.Item(chain: "system", seq: seq, action: "user.added", actor: "a", state: nil, template: nil)
        }
        // Not sending yet (as while the database is unreachable): the queue fills.
        publisher.enqueue([event(1), event(2)])
        publisher.enqueue([event(3), event(4)])
        publisher.enqueue([event(5)])
        #expect(publisher.queued == 3 && publisher.dropped == 2)
        publisher.start()
        defer { publisher.stop() }
        let received = try Self.receive(on: listener) { $0.flatMap(\.items).count >= 3 }
        #expect(received.flatMap(\.items).map(\.seq) == [1, 2, 3])
        // Room again once sent.
        publisher.enqueue([event(6)])
        #expect(try Self.receive(on: listener) { !$0.isEmpty }.flatMap(\.items).map(\.seq) == [6])
        #expect(await waitUntil { publisher.sent == 4 })
        #expect(publisher.dropped == 2)
    }

    @Test func eventsCommittedWithinTheLingerGoTogether() async throws {
        let (store, url) = try await Self.store()
        await store.close()
        let listener = try Self.listening(url)
        let publisher = ClusterEventPublisher(connectionString: url, origin: "inst-a", linger: .milliseconds(300),
                                              logger: Self.logger)
        publisher.start()
        defer { publisher.stop() }
        let event = { (seq: Int64) in
            EventNotification.Item(chain: "system", seq: seq, action: "user.added", actor: "a", state: nil, template: nil)
        }
        publisher.enqueue([event(1)])  // after a quiet spell: sent at once
        #expect(try Self.receive(on: listener) { !$0.isEmpty }.flatMap(\.items).map(\.seq) == [1])
        for seq in 2...6 { publisher.enqueue([event(Int64(seq))]) }  // within the linger: one notification
        let together = try Self.receive(on: listener) { $0.flatMap(\.items).count >= 5 }
        #expect(together.count == 1 && together.flatMap(\.items).map(\.seq) == [2, 3, 4, 5, 6])
        #expect(await waitUntil { publisher.sent == 6 })
        #expect(publisher.notifications == 2)
    }

    @Test func theListenerDeliversAndReconnectsAfterItsSessionIsKilled() async throws {
        let (store, url) = try await Self.store()
        await store.close()
        let listener = PostgresEventListener(connectionString: url, ignoringOrigin: "inst-a", logger: Self.logger)
        let seen = Seen()
        listener.start(
            onListening: { seen.listening.add(1, ordering: .relaxed) },
            deliver: { notification in seen.delivered.withLock { $0 += notification.items } },
            finished: { seen.finished.store(true, ordering: .relaxed) })
        #expect(await waitUntil { seen.listening.load(ordering: .relaxed) == 1 })
        let sender = try PostgresConnection(url)
        let payload = { (seq: Int64) in
            EventNotification.payloads(origin: "inst-b", items: [
                .init(chain: "system", seq: seq, action: "user.added", actor: "a", state: nil, template: nil),
            ])[0]
        }
        // Its own instance's notifications and foreign ones are skipped.
        try sender.notify(EventNotification.channel, payload: EventNotification.payloads(origin: "inst-a", items: [
            .init(chain: "system", seq: 99, action: "user.added", actor: "a", state: nil, template: nil),
        ])[0])
        try sender.notify(EventNotification.channel, payload: payload(1))
        try sender.notify(EventNotification.channel, payload: "not an event notification")
        #expect(await waitUntil { seen.delivered.withLock { $0.count } == 1 })

        // Kill the listening session: it comes back by itself and hears later notifications.
        let admin = try PostgresConnection(url)
        try admin.execute("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND query LIKE 'LISTEN%'
            """)
        #expect(await waitUntil { seen.listening.load(ordering: .relaxed) == 2 })
        try sender.notify(EventNotification.channel, payload: payload(2))
        #expect(await waitUntil { seen.delivered.withLock { $0.map(\.seq) } == [1, 2] })

        listener.stop()
        #expect(await waitUntil { seen.finished.load(ordering: .relaxed) })
    }

    @Test func onlyOneInstanceHoldsTheScanLeaseAndItPassesOn() async throws {
        let (store, url) = try await Self.store()
        let a = PostgresScanLease(connectionString: url, logger: Self.logger)
        let b = PostgresScanLease(connectionString: url, logger: Self.logger)
        #expect(await a.acquire())
        #expect(await !b.acquire())
        #expect(await a.acquire())  // held across ticks
        #expect(await !b.acquire())

        // Released at shutdown: the other takes it at its next try.
        await a.release()
        #expect(await b.acquire())
        #expect(await !a.acquire())

        // The holder's session dies (as when its process is killed): the lock goes with it.
        let admin = try PostgresConnection(url)
        try admin.execute("""
            SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND objid = $1 AND granted
            """, [.int(PostgresScanLease.lockKey)])
        #expect(await waitUntil { await a.acquire() })
        #expect(await !b.acquire())  // b learns it lost the lease
        #expect(await !b.acquire())
        await a.close()
        await b.close()
        await store.close()
    }
}

/// What the listener's callbacks saw, from its thread.
private final class Seen: Sendable {
    let delivered = Mutex<[EventNotification.Item]>([])
    let listening = Atomic<Int>(0)
    let finished = Atomic<Bool>(false)
}

/// Polls `condition` for up to 10 s.
func waitUntil(_ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}
