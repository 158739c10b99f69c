import NIOPosix

/// Lets a commit lane run the rest of a request itself: the job that
/// resuming its caller's continuation would hand to the caller's executor
/// (an event loop) is handed back to the lane thread instead, and run there
/// once the resume is over.
///
/// Why: at low load a lone change's reply leaves from the lane, and what is
/// left of its request — the cache, the metrics, the end of the command — is
/// a few microseconds of bookkeeping. Handing that to the event loop cost a
/// wake-up of the loop per change, on the processor the client and
/// PostgreSQL's backend also need (docs/performance.md). The lane's
/// processor is idle then.
///
/// Executors take part by offering their jobs (`offer`); one that does not
/// is never affected. The adopted job runs only until its task next
/// suspends. A task that would go on to a new request returns to its event
/// loop first (`RequestLoop`) — unless the lane read that request itself
/// (`LaneWatch`), and then only for the few kinds a lane serves.
public enum JobAdoption {
    private final class Slot {
        var open = false
        var job: UnownedJob?
        var executor: UnownedTaskExecutor?
    }

    // One per thread, touched by that thread only.
    nonisolated(unsafe) private static let slots = ThreadSpecificVariable<Slot>()

    /// For an executor's `enqueue`: takes `job` if the current thread is
    /// adopting (inside `adopting`) and has not taken one yet; true if taken.
    public static func offer(_ job: UnownedJob, executor: UnownedTaskExecutor) -> Bool {
        guard let slot = slots.currentValue, slot.open, slot.job == nil else { return false }
        slot.job = job
        slot.executor = executor
        return true
    }

    /// Runs `body`; the first job offered meanwhile on this thread runs right
    /// after it, on this thread (not inside `body`: a resume is over first).
    static func adopting(_ body: () -> Void) {
        let slot: Slot
        if let existing = slots.currentValue {
            slot = existing
        } else {
            slot = Slot()
            slots.currentValue = slot
        }
        slot.open = true
        body()
        slot.open = false
        guard let job = slot.job, let executor = slot.executor else { return }
        slot.job = nil
        slot.executor = nil
        job.runSynchronously(on: executor)
    }
}
