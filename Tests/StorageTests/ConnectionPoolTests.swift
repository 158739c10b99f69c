import Dispatch
import Foundation
import Synchronization
import Testing
@testable import Storage

/// The pool's blocking lease (`withConnectionHere`, used by commit lanes):
/// a thread of its own waits for a connection held by other work, gets it
/// when that work ends, and is failed, not left hanging, when the pool closes.
/// The tests wait by polling with `Task.sleep`, never by blocking: a blocked
/// Swift concurrency thread would starve every other test (there are as many
/// as cores).
@Suite("Connection pool")
struct ConnectionPoolTests {
    /// A thread running `withConnectionHere` once; its result arrives in `done`.
    final class LaneThread: Sendable {
        let result = Mutex<Result<Int, StoreError>?>(nil)

        /// Leases a connection `rounds` times; the result is the last answer.
        init(_ pool: ConnectionPool, rounds: Int = 1) {
            Thread.detachNewThread { [self] in
                let outcome = Result { () throws(StoreError) -> Int in
                    var answer = 0
                    for _ in 0..<rounds {
                        answer = Int(try pool.withConnectionHere { connection in
                            try connection.query("SELECT 41 + 1", [])[0].int(0)
                        })
                    }
                    return answer
                }
                result.withLock { $0 = outcome }
            }
        }

        /// Whether the thread finished within `milliseconds`.
        func finished(within milliseconds: Int) async throws -> Bool {
            for _ in 0..<(milliseconds / 5) {
                if result.withLock({ $0 != nil }) { return true }
                try await Task.sleep(for: .milliseconds(5))
            }
            return result.withLock { $0 != nil }
        }
    }

    /// Holds the pool's only connection until `release`.
    final class Holder: Sendable {
        let holding = Atomic<Bool>(false)
        let gate = DispatchSemaphore(value: 0)
        func release() { gate.signal() }

        func waitUntilHolding() async throws {
            while !holding.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    func hold(_ pool: ConnectionPool, _ holder: Holder) -> Task<Void, any Error> {
        Task {
            try await pool.withConnection { _ in  // on a pool thread, which may block
                holder.holding.store(true, ordering: .releasing)
                holder.gate.wait()
            }
        }
    }

    /// A one-connection pool whose connection `holder` holds, and a lane
    /// thread queued for it.
    func aLaneWaitingForTheOnlyConnection() async throws
        -> (db: TestDatabase, holder: Holder, held: Task<Void, any Error>, lane: LaneThread)
    {
        let db = try await TestDatabase.make(.sqlite, poolSize: 1)
        let holder = Holder()
        let held = hold(db.store.pool, holder)
        try await holder.waitUntilHolding()
        let lane = LaneThread(db.store.pool)
        for _ in 0..<2_000 where db.store.pool.status.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
        try #require(db.store.pool.status.waiting == 1, "the lane should be queued for the connection")
        return (db, holder, held, lane)
    }

    @Test func aThreadWaitsForTheConnectionOtherWorkHolds() async throws {
        let (db, holder, held, lane) = try await aLaneWaitingForTheOnlyConnection()
        #expect(try await !lane.finished(within: 100), "the only connection is taken: the lane must wait")
        holder.release()
        try await held.value
        #expect(try await lane.finished(within: 10_000))
        #expect(try lane.result.withLock { try $0!.get() } == 42)
        #expect(db.store.pool.status.idle == 1 && db.store.pool.status.waiting == 0)
        await db.store.close()
    }

    @Test func aWaitingThreadIsFailedWhenThePoolCloses() async throws {
        let (db, holder, held, lane) = try await aLaneWaitingForTheOnlyConnection()
        let closing = Task { await db.store.close() }
        #expect(try await lane.finished(within: 10_000))
        #expect(lane.result.withLock { $0 } == .failure(StoreError(.unavailable, "the store is closed")))
        holder.release()
        try? await held.value
        await closing.value
        // Closed: a new blocking lease fails at once.
        #expect(throws: StoreError(.unavailable, "the store is closed")) {
            try db.store.pool.withConnectionHere { _ in 0 }
        }
    }

    /// Many threads and tasks sharing two connections: every piece of work
    /// gets one in the end (no waiter is left behind by a release that found
    /// nobody queued yet), and never more than two are in use at once.
    @Test func threadsAndTasksContendingForTwoConnectionsAllFinish() async throws {
        let db = try await TestDatabase.make(.sqlite, poolSize: 2)
        let pool = db.store.pool
        let lanes = (0..<6).map { _ in LaneThread(pool, rounds: 50) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    for _ in 0..<50 { _ = try await pool.withConnection { c in try c.query("SELECT 1", []) } }
                }
            }
            try await group.waitForAll()
        }
        for lane in lanes {
            #expect(try await lane.finished(within: 30_000), "a lane thread was left waiting")
            #expect(try lane.result.withLock { try $0!.get() } == 42)
        }
        #expect(pool.status.open <= 2 && pool.status.waiting == 0)
        await db.store.close()
    }
}
