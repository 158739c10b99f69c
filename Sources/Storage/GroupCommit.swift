import Dispatch
import Foundation
import Synchronization

/// Gathers concurrent commits into batches, so that many changes share one
/// transaction — one round trip and one WAL flush — instead of each paying
/// for its own.
///
/// There is no timer and no waiting for company: at most `lanes` batches run
/// at once, and a commit that finds a lane free runs at once, alone. Only
/// commits that arrive while every lane is busy queue up; when a lane finishes
/// a batch, it takes the queued commits (up to `maxBatch`) as its next one. So
/// one client sees no added latency, and under load the batch size grows by
/// itself with the number of commits waiting.
///
/// Each lane is a thread of its own that runs batches back to back, calling
/// the (blocking) runner directly. Why not the callers' tasks and the
/// connection pool's threads, as before: then every batch went from a pool
/// thread back to an event loop, which answered the batch and handed the
/// next one to another caller's event loop, which sent it to a pool thread
/// again — two thread hand-overs per batch during which the lane wrote
/// nothing, on a machine whose cores PostgreSQL needs too. A lane thread
/// answers its batch by resuming the callers' continuations and goes straight
/// on to the next batch.
///
/// A lane thread starts when a commit finds no lane idle and fewer than
/// `lanes` running, and ends after `idleTimeout` without work, so an idle
/// store keeps no threads.
final class GroupCommit<Item: Sendable>: Sendable {
    typealias Outcome = Result<Void, StoreError>
    /// Commits a batch on the calling lane thread (it may block); answers one
    /// outcome per item, in order.
    typealias Runner = @Sendable ([Item]) -> [Outcome]

    private struct Waiter: Sendable {
        var item: Item
        var continuation: CheckedContinuation<Outcome, Never>
    }

    /// How a lane thread is woken: each idle lane waits on its own semaphore,
    /// signalled at most once by whoever takes it off the idle list.
    private final class Wake: Sendable {
        let semaphore = DispatchSemaphore(value: 0)
    }

    /// What a commit does after queueing its item.
    private enum Next { case refuse, wake(Wake), start, nothing }
    /// What a lane does next.
    private enum Step { case run([Waiter]), wait, end }

    private struct State: ~Copyable {
        var queue: [Waiter] = []
        /// Lane threads alive (busy or idle).
        var running = 0
        /// Lanes waiting for work, most recently idle last (woken first: warmest).
        var idle: [Wake] = []
        var closed = false
        var batches: Int64 = 0
        var items: Int64 = 0
        var largest = 0
    }

    let lanes: Int
    let maxBatch: Int
    let idleTimeout: Duration
    private let runner: Runner
    private let state = Mutex(State())
    /// Signalled by each lane thread as it ends, for `close`.
    private let ended = DispatchSemaphore(value: 0)

    init(lanes: Int, maxBatch: Int, idleTimeout: Duration = .seconds(2), runner: @escaping Runner) {
        precondition(lanes >= 1 && maxBatch >= 1)
        self.lanes = lanes
        self.maxBatch = maxBatch
        self.idleTimeout = idleTimeout
        self.runner = runner
    }

    /// Commits `item` alone or together with others; returns or throws when
    /// its own batch has been committed.
    func commit(_ item: Item) async throws(StoreError) {
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let next: Next = state.withLock { s in
                if s.closed { return .refuse }
                s.queue.append(Waiter(item: item, continuation: continuation))
                if let wake = s.idle.popLast() { return .wake(wake) }
                if s.running < lanes {
                    s.running += 1
                    return .start
                }
                return .nothing
            }
            switch next {
            case .refuse: continuation.resume(returning: .failure(StoreError(.unavailable, "the store is closed")))
            case .wake(let wake): wake.semaphore.signal()
            case .start: startLane()
            case .nothing: break
            }
        }
        try outcome.get()
    }

    /// Runs what is queued, then stops every lane; commits after this fail
    /// with `.unavailable`. Waits until the lane threads have ended.
    func close() async {
        let (idle, running) = state.withLock { s -> ([Wake], Int) in
            s.closed = true
            defer { s.idle = [] }
            return (s.idle, s.running)
        }
        for wake in idle { wake.semaphore.signal() }
        guard running > 0 else { return }
        // Off the caller's thread: waiting for threads blocks.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { [self] in
                for _ in 0..<running { ended.wait() }
                done.resume()
            }
        }
    }

    private func startLane() {
        Thread.detachNewThread { [self] in
            Thread.current.name = "commit-lane"  // for top -H and perf
            runLane()
        }
    }

    /// One lane thread: batches back to back while commits are queued, idle
    /// in between, gone after `idleTimeout` idle or when closed.
    private func runLane() {
        let wake = Wake()
        while true {
            let step: Step = state.withLock { s in
                if !s.queue.isEmpty {
                    let taken = min(maxBatch, s.queue.count)
                    let batch = Array(s.queue[..<taken])
                    s.queue.removeFirst(taken)
                    s.batches += 1
                    s.items += Int64(taken)
                    s.largest = max(s.largest, taken)
                    return .run(batch)
                }
                if s.closed {
                    s.running -= 1
                    return .end
                }
                s.idle.append(wake)
                return .wait
            }
            switch step {
            case .run(let batch):
                run(batch)
            case .end:
                ended.signal()
                return
            case .wait:
                if wake.semaphore.wait(timeout: .now() + .nanoseconds(Int(idleTimeout.nanoseconds))) == .success {
                    continue
                }
                // Timed out: leave, unless a commit took this lane off the idle
                // list meanwhile (then its signal is on the way: take it).
                let leaves = state.withLock { s in
                    guard let index = s.idle.firstIndex(where: { $0 === wake }) else { return false }
                    s.idle.remove(at: index)
                    s.running -= 1
                    return true
                }
                if leaves { return }
                wake.semaphore.wait()
            }
        }
    }

    private func run(_ batch: [Waiter]) {
        var outcomes = runner(batch.map(\.item))
        if outcomes.count != batch.count {
            // A runner bug must not leave callers waiting forever.
            outcomes = Array(repeating: .failure(StoreError(.failure, "group commit lost track of a batch")),
                             count: batch.count)
        }
        for (waiter, outcome) in zip(batch, outcomes) {
            waiter.continuation.resume(returning: outcome)
        }
    }

    /// Commits waiting for a lane.
    var queuedForTesting: Int { state.withLock { $0.queue.count } }

    /// Lane threads alive now.
    var lanesRunningForTesting: Int { state.withLock { $0.running } }

    /// Batches run so far, commits in them, and the largest batch.
    var statistics: (batches: Int64, items: Int64, largest: Int) {
        state.withLock { ($0.batches, $0.items, $0.largest) }
    }

    var status: GroupCommitStatus {
        state.withLock { s in
            GroupCommitStatus(lanes: lanes, lanesRunning: s.running, queued: s.queue.count, batches: s.batches,
                              changes: s.items, largestBatch: s.largest)
        }
    }
}

private extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
