import Foundation
import Synchronization
import Testing
@testable import Storage

/// `JobAdoption` without a database: a task whose executor offers its jobs,
/// resumed from a plain thread inside `adopting`.
@Suite("Job adoption")
struct JobAdoptionTests {
    /// Runs jobs on a queue of its own unless the current thread adopts them.
    final class OfferingExecutor: TaskExecutor, @unchecked Sendable {
        let queue = DispatchQueue(label: "offering-executor")
        let queued = Atomic<Int>(0)

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            if JobAdoption.offer(job, executor: asUnownedTaskExecutor()) { return }
            queued.add(1, ordering: .relaxed)
            queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }

    /// Continuations the task parks in, one after the other.
    final class Parking: Sendable {
        private let parked = Mutex<[CheckedContinuation<Void, Never>]>([])
        func park() async { await withCheckedContinuation { c in parked.withLock { $0.append(c) } } }
        /// Waits (without blocking a thread of the pool) until the task parks, then takes it.
        func take() async -> CheckedContinuation<Void, Never> {
            while true {
                if let c = parked.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return c }
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
    }

    static func threadID() -> UInt64 { UInt64(pthread_self()) }

    /// The resumed task runs on the adopting thread, after the resume has
    /// returned. Resumed again once the window is closed, it goes to its
    /// executor as usual.
    @Test func theResumedTaskRunsOnTheAdoptingThreadAfterTheResume() async {
        let executor = OfferingExecutor()
        let parking = Parking()
        let log = Mutex<[String]>([])
        let threads = Mutex<(adopter: UInt64, first: UInt64, second: UInt64)>((0, 0, 0))

        let task = Task(executorPreference: executor) {
            await parking.park()
            log.withLock { $0.append("task resumed") }
            threads.withLock { $0.first = Self.threadID() }
            await parking.park()
            threads.withLock { $0.second = Self.threadID() }
        }
        let first = await parking.take()
        // Let it finish suspending: a continuation resumed before that lets
        // the suspending thread carry on by itself, adopted or not.
        try? await Task.sleep(for: .milliseconds(20))
        // Kept alive to the end: a thread's id may be reused once it is gone.
        let adopted = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            threads.withLock { $0.adopter = Self.threadID() }
            JobAdoption.adopting {
                first.resume()
                log.withLock { $0.append("resume returned") }
            }
            adopted.signal()
            done.wait()
        }
        let queuedBefore = executor.queued.load(ordering: .relaxed)
        thread.start()
        let second = await parking.take()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread { adopted.wait(); c.resume() }.start()
        }
        second.resume()  // the window is closed: to the executor's queue
        await task.value
        defer { done.signal() }

        #expect(log.withLock { $0 } == ["resume returned", "task resumed"])
        let ids = threads.withLock { $0 }
        #expect(ids.first == ids.adopter)
        #expect(ids.second != ids.adopter)
        #expect(executor.queued.load(ordering: .relaxed) == queuedBefore + 1)
    }

    /// Outside `adopting`, nothing is taken.
    @Test func nothingIsAdoptedOutsideTheWindow() async {
        let executor = OfferingExecutor()
        let parking = Parking()
        let task = Task(executorPreference: executor) { await parking.park() }
        let parked = await parking.take()
        // Fully suspended first, or the resume would not go through the
        // executor at all and the count below would be one short.
        try? await Task.sleep(for: .milliseconds(20))
        JobAdoption.adopting {}  // a window that closed before the resume
        parked.resume()
        await task.value
        #expect(executor.queued.load(ordering: .relaxed) == 2)  // the start and the resume
    }
}
