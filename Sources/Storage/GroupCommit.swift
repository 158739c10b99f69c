import Synchronization

/// Gathers concurrent commits into batches, so that many changes share one
/// transaction — one round trip and one WAL flush — instead of each paying
/// for its own.
///
/// There is no timer and no waiting for company: at most `lanes` batches run
/// at once, and a commit that finds a lane free runs at once, alone. Only
/// commits that arrive while every lane is busy queue up; when a batch ends,
/// the queued commits (up to `maxBatch`) become the next batch. So one client
/// sees no added latency, and under load the batch size grows by itself with
/// the number of commits waiting.
///
/// No extra task runs the batches: the caller whose commit opens a batch
/// runs it (the leader). When it is done it answers every commit in it, and if
/// commits are queued hands the next batch to one of their callers, who then
/// leads. That keeps the work on the callers' own tasks and leaves nothing
/// running when there is nothing to do.
final class GroupCommit<Item: Sendable>: Sendable {
    typealias Outcome = Result<Void, StoreError>
    /// Commits a batch; answers one outcome per item, in order.
    typealias Runner = @Sendable ([Item]) async -> [Outcome]

    private enum Turn: Sendable {
        case done(Outcome)
        /// Run this batch; the item without a continuation is the leader's own.
        case lead([Waiter])
    }

    private struct Waiter: Sendable {
        var item: Item
        var continuation: CheckedContinuation<Turn, Never>?
    }

    private struct State: ~Copyable {
        var queue: [Waiter] = []
        var running = 0
        var batches: Int64 = 0
        var items: Int64 = 0
        var largest = 0
    }

    let lanes: Int
    let maxBatch: Int
    private let runner: Runner
    private let state = Mutex(State())

    init(lanes: Int, maxBatch: Int, runner: @escaping Runner) {
        precondition(lanes >= 1 && maxBatch >= 1)
        self.lanes = lanes
        self.maxBatch = maxBatch
        self.runner = runner
    }

    /// Commits `item` alone or together with others; returns or throws when
    /// its own batch has been committed.
    func commit(_ item: Item) async throws(StoreError) {
        var turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let leadsNow = state.withLock { s in
                // Invariant: the queue is empty whenever a lane is free.
                if s.running < lanes {
                    s.running += 1
                    return true
                }
                s.queue.append(Waiter(item: item, continuation: continuation))
                return false
            }
            if leadsNow { continuation.resume(returning: .lead([Waiter(item: item, continuation: nil)])) }
        }
        while true {
            switch turn {
            case .done(let outcome):
                return try outcome.get()
            case .lead(let batch):
                turn = .done(await lead(batch))
            }
        }
    }

    /// Runs a batch, answers the others in it, passes the lane on; returns
    /// the leader's own outcome.
    private func lead(_ batch: [Waiter]) async -> Outcome {
        var outcomes = await runner(batch.map(\.item))
        if outcomes.count != batch.count {
            // A runner bug must not leave callers waiting forever.
            outcomes = Array(repeating: .failure(StoreError(.failure, "group commit lost track of a batch")),
                             count: batch.count)
        }
        var own: Outcome = .failure(StoreError(.failure, "group commit lost its leader"))
        for (waiter, outcome) in zip(batch, outcomes) {
            if let continuation = waiter.continuation {
                continuation.resume(returning: .done(outcome))
            } else {
                own = outcome
            }
        }
        let next: [Waiter]? = state.withLock { s in
            s.batches += 1
            s.items += Int64(batch.count)
            s.largest = max(s.largest, batch.count)
            guard !s.queue.isEmpty else {
                s.running -= 1
                return nil
            }
            let taken = min(maxBatch, s.queue.count)
            let next = Array(s.queue[..<taken])
            s.queue.removeFirst(taken)
            return next
        }
        if var next {
            // The first queued caller leads the next batch (the lane stays taken).
            let leader = next[0].continuation!
            next[0].continuation = nil
            leader.resume(returning: .lead(next))
        }
        return own
    }

    /// Commits waiting for a lane.
    var queuedForTesting: Int { state.withLock { $0.queue.count } }

    /// Batches run so far, commits in them, and the largest batch.
    var statistics: (batches: Int64, items: Int64, largest: Int) {
        state.withLock { ($0.batches, $0.items, $0.largest) }
    }
}
