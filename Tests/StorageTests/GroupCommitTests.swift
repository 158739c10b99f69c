import Foundation
import Synchronization
import Testing
@testable import Storage

/// The batching queue on its own, with a runner that records what it was
/// given instead of a database.
@Suite("Group commit queue")
struct GroupCommitTests {
    /// Records batches and how many runners ran at once; can hold the first
    /// batch until released, so that others pile up behind it.
    final class Recorder: Sendable {
        struct State {
            var batches: [[Int]] = []
            var running = 0
            var mostAtOnce = 0
        }
        let state = Mutex(State())
        let gate = DispatchSemaphore(value: 0)
        let holdFirst: Bool

        init(holdFirst: Bool) {
            self.holdFirst = holdFirst
        }

        func open() { gate.signal() }

        func run(_ batch: [Int]) -> [Result<Void, StoreError>] {
            let first = state.withLock { s in
                s.running += 1
                s.mostAtOnce = max(s.mostAtOnce, s.running)
                s.batches.append(batch)
                return s.batches.count == 1
            }
            if first && holdFirst { gate.wait() }
            state.withLock { $0.running -= 1 }
            // Odd items conflict, even ones commit.
            return batch.map { $0 % 2 == 0 ? .success(()) : .failure(StoreError(.conflict, "item \($0)")) }
        }

        var batches: [[Int]] { state.withLock { $0.batches } }
        var mostAtOnce: Int { state.withLock { $0.mostAtOnce } }
    }

    final class Outcomes: Sendable {
        let state = Mutex<[Int: Bool]>([:])
        func set(_ item: Int, _ ok: Bool) { state.withLock { $0[item] = ok } }
        var all: [Int: Bool] { state.withLock { $0 } }
    }

    @Test func aLoneCommitRunsAtOnceInABatchOfOne() async throws {
        let recorder = Recorder(holdFirst: false)
        let queue = GroupCommit<Int>(lanes: 2, maxBatch: 8) { recorder.run($0) }
        try await queue.commit(2)
        await #expect(throws: StoreError.self) { try await queue.commit(3) }
        #expect(recorder.batches == [[2], [3]])
    }

    /// While the only lane is busy, commits queue; the next batch takes them
    /// all (up to the limit), and each caller gets its own item's outcome.
    @Test func commitsArrivingWhileTheLaneIsBusyShareTheNextBatches() async throws {
        let recorder = Recorder(holdFirst: true)
        let queue = GroupCommit<Int>(lanes: 1, maxBatch: 4) { recorder.run($0) }
        let outcomes = Outcomes()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let ok = (try? await queue.commit(0)) != nil
                outcomes.set(0, ok)
            }
            // Wait until the first batch runs (and is held), then queue ten more.
            while recorder.batches.isEmpty { await Task.yield() }
            for item in 1...10 {
                group.addTask {
                    let ok = (try? await queue.commit(item)) != nil
                    outcomes.set(item, ok)
                }
            }
            while queue.queuedForTesting < 10 { await Task.yield() }
            recorder.open()
        }
        let batches = recorder.batches
        #expect(batches.first == [0])
        #expect(batches.dropFirst().map(\.count) == [4, 4, 2])
        #expect(batches.flatMap { $0 }.sorted() == Array(0...10))
        #expect(recorder.mostAtOnce == 1)
        #expect(outcomes.all == Dictionary(uniqueKeysWithValues: (0...10).map { ($0, $0 % 2 == 0) }))
        let statistics = queue.statistics
        #expect(statistics.batches == 4 && statistics.items == 11 && statistics.largest == 4)
    }

    @Test func neverMoreBatchesAtOnceThanLanes() async throws {
        let recorder = Recorder(holdFirst: false)
        let queue = GroupCommit<Int>(lanes: 3, maxBatch: 5) { batch in
            usleep(2_000)
            return recorder.run(batch)
        }
        await withTaskGroup(of: Void.self) { group in
            for item in 0..<200 { group.addTask { _ = try? await queue.commit(item) } }
        }
        #expect(recorder.mostAtOnce <= 3)
        #expect(recorder.batches.flatMap { $0 }.sorted() == Array(0..<200))
        #expect(recorder.batches.allSatisfy { $0.count <= 5 })
    }

    /// A runner that answers the wrong number of outcomes fails every caller
    /// of that batch instead of leaving one waiting forever.
    @Test func aRunnerAnsweringTooFewOutcomesFailsTheBatch() async throws {
        let queue = GroupCommit<Int>(lanes: 1, maxBatch: 8) { _ in [] }
        await #expect(throws: StoreError.self) { try await queue.commit(0) }
        try? await Task.sleep(for: .milliseconds(1))
        await #expect(throws: StoreError.self) { try await queue.commit(2) }
    }

    /// Lane threads start on demand and end after `idleTimeout` without work;
    /// a commit after that starts one again.
    @Test func laneThreadsEndWhenIdleAndComeBack() async throws {
        let recorder = Recorder(holdFirst: false)
        let queue = GroupCommit<Int>(lanes: 2, maxBatch: 8, idleTimeout: .milliseconds(50)) { recorder.run($0) }
        #expect(queue.lanesRunningForTesting == 0)
        try await queue.commit(0)
        var waited = 0
        while queue.lanesRunningForTesting > 0 && waited < 5_000 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 10
        }
        #expect(queue.lanesRunningForTesting == 0)
        try await queue.commit(2)
        #expect(recorder.batches == [[0], [2]])
        await queue.close()
        #expect(queue.lanesRunningForTesting == 0)
    }

    /// `close` lets queued commits finish (nothing is dropped), waits for the
    /// lanes to end, and refuses commits after it as `.unavailable`.
    @Test func closeFinishesWhatIsQueuedThenRefuses() async throws {
        let recorder = Recorder(holdFirst: true)
        let queue = GroupCommit<Int>(lanes: 1, maxBatch: 2) { recorder.run($0) }
        let outcomes = Outcomes()
        await withTaskGroup(of: Void.self) { group in
            for item in [0, 2, 4, 6, 8] {
                group.addTask {
                    let ok = (try? await queue.commit(item)) != nil
                    outcomes.set(item, ok)
                }
                if item == 0 { while recorder.batches.isEmpty { await Task.yield() } }
            }
            while queue.queuedForTesting < 4 { await Task.yield() }
            group.addTask { await queue.close() }
            recorder.open()
        }
        #expect(outcomes.all == [0: true, 2: true, 4: true, 6: true, 8: true])
        #expect(recorder.batches == [[0], [2, 4], [6, 8]])
        #expect(queue.lanesRunningForTesting == 0)
        await #expect(throws: StoreError(.unavailable, "the store is closed")) { try await queue.commit(10) }
    }
}
