import NIOCore
import Storage

/// Runs a connection's Swift task on the event loop that owns its channel.
///
/// Why: without it, every request hops threads four times — the event loop
/// hands the bytes to a cooperative-pool thread, that thread hands the store
/// work to a blocking-pool thread and is woken again when it is done, and the
/// reply goes back to the event loop. On a small machine those wake-ups cost
/// more CPU than the work itself. With the task on its own event loop, reading
/// the request and writing the reply happen on one thread, and only the
/// database work leaves it (to `NIOThreadPool`, as blocking calls must).
///
/// Nothing in a connection's task blocks: database and password work runs on
/// thread pools, and locks are held for a few instructions only.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // A commit lane resuming a lone change's request finishes it itself.
        if JobAdoption.offer(job, executor: asUnownedTaskExecutor()) { return }
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
