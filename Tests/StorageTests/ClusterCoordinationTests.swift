import AuditLog
import Foundation
import Logging
import PostgresClient
import PostgresTestSupport
import Synchronization
import Testing
@testable import Storage

/// What several atmpd instances on one PostgreSQL database coordinate
/// through: event notifications sent by the commit itself, the listener that
/// receives them, and the overdue scan lease.
@Suite("Cluster coordination (PostgreSQL)")
struct ClusterCoordinationTests {
    static let logger: Logger = {
        var logger = Logger(label: "atmp.test.cluster")
        logger.logLevel = .warning
        return logger
    }()

    /// A migrated database and a store whose sessions call themselves `instance`.
    static func store(instance: String?) async throws -> (SQLStore, String) {
        let url = try PostgresTestCluster.shared.createDatabase(prefix: "atmp_cluster")
        let store = try await PostgresStore.open(connectionString: url, poolSize: 4, instance: instance, logger: logger)
        _ = try await store.migrate()
        _ = try await publishSampleTemplate(store)
        return (store, url)
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

    @Test func aCommitAnnouncesItsEventsWithOriginStateAndTemplate() async throws {
        let (store, url) = try await Self.store(instance: "inst-a")
        let listener = try PostgresConnection(url)
        try listener.listen(EventNotification.channel)
        var builder = CaseBuilder(id: try await store.allocateCaseID(), at: Timestamp(seconds: 1_800_000_000))
        try await store.commit(builder.write(since: 0))
        builder.append(at: Timestamp(seconds: 1_800_000_001))
        builder.append(at: Timestamp(seconds: 1_800_000_002))
        try await store.commit(builder.write(since: 1))
        // A change that loses its version guard announces nothing.
        let stale = builder.write(since: 1)
        await #expect(throws: StoreError.self) { try await store.commit(stale) }

        let received = try Self.receive(on: listener) { $0.flatMap(\.items).count >= 3 }
        #expect(Set(received.map(\.origin)) == ["inst-a"])
        let items = received.flatMap(\.items)
        let id = builder.current.id
        #expect(items == [
            .init(chain: id, seq: 1, action: "case.opened", actor: "alice", state: "draft", template: "store-test"),
            .init(chain: id, seq: 2, action: "case.noted", actor: "alice", state: "draft", template: "store-test"),
            .init(chain: id, seq: 3, action: "case.noted", actor: "alice", state: "draft", template: "store-test"),
        ])
        #expect(try listener.waitForNotifications(timeout: .milliseconds(300)).isEmpty)
        await store.close()
    }

    @Test func announcementsCanBeSwitchedOffForTheDatabase() async throws {
        let (store, url) = try await Self.store(instance: "inst-a")
        await store.close()
        let admin = try PostgresConnection(url)
        let database = try #require(try admin.execute("SELECT current_database()").rows.first?.text(0))
        try admin.execute("ALTER DATABASE \"\(database)\" SET atmp.notify = off")
        // Settings of the database apply to sessions opened after the change.
        let quiet = try await PostgresStore.open(connectionString: url, poolSize: 2, instance: "inst-a", logger: Self.logger)
        let listener = try PostgresConnection(url)
        try listener.listen(EventNotification.channel)
        let builder = CaseBuilder(id: try await quiet.allocateCaseID(), at: Timestamp(seconds: 1_800_000_000))
        try await quiet.commit(builder.write(since: 0))
        #expect(try listener.waitForNotifications(timeout: .milliseconds(500)).isEmpty)
        #expect(try await quiet.trail(chain: builder.current.id, from: 1, limit: 10).count == 1)
        await quiet.close()
    }

    @Test func systemEventsAndWritersWithoutAnInstanceAreAnnouncedToo() async throws {
        let (store, url) = try await Self.store(instance: nil)
        let listener = try PostgresConnection(url)
        try listener.listen(EventNotification.channel)
        _ = try await store.addUser(StoredUser(name: "bob", roles: ["author"], passwordHash: "x"),
                                    by: "admin", role: "admin", at: Timestamp(seconds: 1_800_000_000))
        let received = try Self.receive(on: listener) { !$0.isEmpty }
        #expect(received.first?.origin == "")
        let item = try #require(received.first?.items.first)
        #expect(item.chain == AuditEvent.systemChain && item.action == "user.added" && item.actor == "admin")
        #expect(item.state == nil && item.template == nil)
        await store.close()
    }

    @Test func manyEventsAreSplitAndHugeOnesSentAsReferences() async throws {
        let (store, url) = try await Self.store(instance: "inst-a")
        let listener = try PostgresConnection(url)
        try listener.listen(EventNotification.channel)
        var builder = CaseBuilder(id: try await store.allocateCaseID(), at: Timestamp(seconds: 1_800_000_000))
        for n in 0..<300 { builder.append(at: Timestamp(seconds: 1_800_000_001 + Int64(n))) }
        builder.append(action: "case." + String(repeating: "x", count: 7_500), at: Timestamp(seconds: 1_800_001_000))
        try await store.commit(builder.write(since: 0))

        let received = try Self.receive(on: listener) { $0.flatMap(\.items).count >= 302 }
        #expect(received.count > 1)
        let items = received.flatMap(\.items)
        #expect(items.map(\.seq) == Array(1...302))
        #expect(items.filter(\.isReference).map(\.seq) == [302])
        await store.close()
    }

    @Test func theListenerDeliversAndReconnectsAfterItsSessionIsKilled() async throws {
        let (store, url) = try await Self.store(instance: "inst-a")
        let listener = PostgresEventListener(connectionString: url, logger: Self.logger)
        let seen = Seen()
        listener.start(
            onListening: { seen.listening.add(1, ordering: .relaxed) },
            deliver: { notification in seen.delivered.withLock { $0 += notification.items } },
            finished: { seen.finished.store(true, ordering: .relaxed) })
        #expect(await waitUntil { seen.listening.load(ordering: .relaxed) == 1 })

        var builder = CaseBuilder(id: try await store.allocateCaseID(), at: Timestamp(seconds: 1_800_000_000))
        try await store.commit(builder.write(since: 0))
        #expect(await waitUntil { seen.delivered.withLock { $0.count } == 1 })

        // Kill the listening session: it comes back by itself and hears later commits.
        let admin = try PostgresConnection(url)
        try admin.execute("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND query LIKE 'LISTEN%'
            """)
        #expect(await waitUntil { seen.listening.load(ordering: .relaxed) == 2 })
        builder.append(at: Timestamp(seconds: 1_800_000_001))
        try await store.commit(builder.write(since: 1))
        #expect(await waitUntil { seen.delivered.withLock { $0.map(\.seq) } == [1, 2] })

        listener.stop()
        #expect(await waitUntil { seen.finished.load(ordering: .relaxed) })
        await store.close()
    }

    @Test func onlyOneInstanceHoldsTheScanLeaseAndItPassesOn() async throws {
        let (store, url) = try await Self.store(instance: nil)
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
