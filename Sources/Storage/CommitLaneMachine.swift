/// The bookkeeping of the commit lanes, without I/O: which lane may send the
/// next batch, who sends it, what waits. `CommitLanes` holds one under a lock
/// and does what its answers say; the tests drive it directly.
///
/// A lane is a thread with a database session of its own. Between batches it
/// is *parked*: it waits on its session's socket, so that whoever finds it
/// parked may send a batch on the session at once, from any thread — nothing
/// is woken for that — and the lane wakes when the result arrives. Commits
/// that arrive while no lane is parked queue; a lane that has answered its
/// batch takes what is queued (up to `maxBatch`) and sends it itself. So a
/// lone commit never waits for company, and under load batches grow with the
/// number of commits waiting.
///
/// Why a caller sends: the hand-over to a lane thread (wake it, let it run)
/// cost about 20 µs on the critical path of every lone change, on top of the
/// lane's own turn-around (docs/performance.md).
///
/// Except when the lane is polling without sleeping (`laneStartsSpinning`):
/// then it is awake on a processor of its own, sees a queued change within
/// a microsecond or two, and sends it itself. The caller's processor, which
/// has the next request to read, is spared the send.
struct CommitLaneMachine {
    enum Phase: Equatable {
        /// No thread.
        case stopped
        /// Its thread is starting or (re)connecting its session.
        case connecting
        /// Waiting on its session's socket, ready for a batch from anyone.
        case parked
        /// A caller is sending a batch on its session.
        case callerSending
        /// Its batch is sent; its thread waits for the result.
        case awaiting
        /// Its thread is sending, reading or answering.
        case working
        /// A caller's send on its session failed: its thread must give the
        /// session up and connect again.
        case broken
    }

    /// What a commit does next.
    enum CommitAction: Equatable {
        /// Send this batch (the caller's own commit alone) on lane `lane`,
        /// then report with `callerSent` or `callerSendFailed`.
        case send(lane: Int)
        /// Queued: a lane will take it.
        case queued
        /// Queued, and lane `lane` has no thread: start one.
        case queuedStartLane(Int)
        /// Queued for lane `lane`, which is parked: wake it (it takes the
        /// queue when it runs, and whatever arrived meanwhile with it).
        case queuedWakeLane(Int)
        /// Queued for lane `lane`, which is parked and polling without
        /// sleeping: nudge it (no system call needed; it looks between polls).
        case queuedNudgeLane(Int)
        /// The lanes are closed.
        case refuse
    }

    /// What a lane's thread does next.
    enum LaneStep: Equatable {
        /// Send these waiters' changes as the next batch.
        case send([Int])
        /// Wait on the socket (and the wake-up descriptor).
        case park
        /// Read the in-flight batch's result.
        case read
        /// A caller is still sending on this session: wait for its word.
        case waitForSender
        /// The session is broken (a caller's send failed on it): give it up
        /// and connect again (`sessionLost`).
        case reconnect
        /// Nothing for the lane to do: its thread ends.
        case stop
    }

    private(set) var phases: [Phase]
    /// The waiters each lane's batch holds, by id.
    private(set) var inFlight: [[Int]]
    /// Per lane: a batch was sent but part of it still sits in libpq's buffer.
    private(set) var unflushed: [Bool]
    /// Per lane: its thread saw the socket readable while a caller was still
    /// sending, and waits to be told that the send is over.
    private(set) var laneWaitsForSender: [Bool]
    /// Per lane: parked, but asked to wake and take the queue.
    private(set) var wakeRequested: [Bool]
    /// Per lane: parked and polling without sleeping (`laneStartsSpinning`).
    private(set) var spinning: [Bool]
    /// Changes in the batch taken last. Above one, changes are arriving
    /// together: a parked lane is then woken to take the queue rather than
    /// sent on at once, and the changes that arrive while it wakes join the
    /// batch. Sending at once would split them into a batch of one and a
    /// batch of the rest, and halve what a WAL flush carries.
    private(set) var lastBatchSize = 0
    /// Batches of one in a row, up to the last taken.
    private(set) var loneBatchesInARow = 0
    /// Lone batches in a row after which a lane polls without sleeping while
    /// it waits (`spinsWhileWaiting`).
    static let loneBatchesBeforeSpinning = 16
    /// Waiting for a lane, oldest first.
    private(set) var queue: [Int] = []
    private(set) var closed = false
    let maxBatch: Int

    private(set) var batches: Int64 = 0
    private(set) var changes: Int64 = 0
    private(set) var largestBatch = 0

    init(lanes: Int, maxBatch: Int) {
        precondition(lanes >= 1 && maxBatch >= 1)
        phases = Array(repeating: .stopped, count: lanes)
        inFlight = Array(repeating: [], count: lanes)
        unflushed = Array(repeating: false, count: lanes)
        laneWaitsForSender = Array(repeating: false, count: lanes)
        wakeRequested = Array(repeating: false, count: lanes)
        spinning = Array(repeating: false, count: lanes)
        self.maxBatch = maxBatch
    }

    /// Whether a waiting lane should poll its socket without sleeping for a
    /// while before it sleeps in poll(2): when changes have come one at a
    /// time for a while, so that nothing else wants the processor and the
    /// answer is on the critical path of a client waiting for it. Waking a
    /// sleeping thread cost 20–25 µs on the virtual machines measured
    /// (docs/performance.md); under load, batches hold several changes and
    /// lanes sleep, leaving the processors to the event loops and PostgreSQL.
    /// One lane only: lanes running side by side mean changes from several
    /// clients, whose threads want the processors.
    var spinsWhileWaiting: Bool { loneBatchesInARow >= Self.loneBatchesBeforeSpinning && lanesRunning == 1 }

    var lanes: Int { phases.count }
    var lanesRunning: Int { phases.filter { $0 != .stopped }.count }

    // MARK: - Callers

    /// A commit arrives; `waiter` is the id it is known by.
    mutating func commit(_ waiter: Int) -> CommitAction {
        if closed { return .refuse }
        if let lane = phases.firstIndex(of: .parked) {
            if lastBatchSize <= 1 && queue.isEmpty && spinning[lane] {
                // The lane is awake and polling: it sends the change itself,
                // so the send (and the wake-up of PostgreSQL's backend it
                // causes) costs its processor, not the caller's.
                queue.append(waiter)
                wakeRequested[lane] = true
                return .queuedNudgeLane(lane)
            }
            if lastBatchSize <= 1 && queue.isEmpty {
                phases[lane] = .callerSending
                begin(lane, [waiter])
                return .send(lane: lane)
            }
            queue.append(waiter)
            if wakeRequested[lane] { return .queued }
            wakeRequested[lane] = true
            return .queuedWakeLane(lane)
        }
        queue.append(waiter)
        if let lane = phases.firstIndex(of: .stopped) {
            phases[lane] = .connecting
            return .queuedStartLane(lane)
        }
        return .queued
    }

    /// The caller's send on `lane` went through; `flushed` false when part of
    /// it is still buffered. True when the lane's thread must be woken: it
    /// waits for this word, or must finish the flush.
    mutating func callerSent(lane: Int, flushed: Bool) -> Bool {
        precondition(phases[lane] == .callerSending)
        phases[lane] = .awaiting
        unflushed[lane] = !flushed
        let wake = laneWaitsForSender[lane] || !flushed
        laneWaitsForSender[lane] = false
        return wake
    }

    /// The caller's send on `lane` failed: its session is unusable. Returns
    /// the waiters to fail (the caller's own). The lane's thread must be
    /// woken: it finds the lane broken and reconnects.
    mutating func callerSendFailed(lane: Int) -> [Int] {
        precondition(phases[lane] == .callerSending)
        phases[lane] = .broken
        laneWaitsForSender[lane] = false
        defer { inFlight[lane] = [] }
        return inFlight[lane]
    }

    // MARK: - Lane threads

    /// `lane`'s session is ready (first connected, or reconnected).
    mutating func laneReady(_ lane: Int) -> LaneStep {
        precondition(phases[lane] == .connecting)
        return next(lane)
    }

    /// `lane`'s thread could not connect. Returns the waiters to fail — the
    /// whole queue when no other lane is alive to take it, else none — and
    /// a parked lane to wake, when the queue waited for this one and no
    /// other lane will come back to it by itself.
    mutating func laneConnectFailed(_ lane: Int) -> (fail: [Int], wake: Int?) {
        phases[lane] = .stopped
        spinning[lane] = false
        inFlight[lane] = []
        guard lanesRunning == 0 else {
            guard !queue.isEmpty, !phases.contains(where: { [.callerSending, .awaiting, .working, .connecting].contains($0) }),
                  let parked = phases.firstIndex(of: .parked), !wakeRequested[parked]
            else { return ([], nil) }
            wakeRequested[parked] = true
            return ([], parked)
        }
        defer { queue = [] }
        return (queue, nil)
    }

    /// The lane's own send of `lane`'s batch went through.
    mutating func laneSent(_ lane: Int, flushed: Bool) {
        precondition(phases[lane] == .working)
        phases[lane] = .awaiting
        unflushed[lane] = !flushed
    }

    /// What is left unsent of `lane`'s batch has been flushed.
    mutating func flushed(_ lane: Int) {
        unflushed[lane] = false
    }

    /// `lane`'s socket is readable (a result, or the server closing it).
    mutating func socketReadable(_ lane: Int) -> LaneStep {
        switch phases[lane] {
        case .awaiting:
            phases[lane] = .working
            return .read
        case .parked:
            // Nothing was sent: the server speaks on its own (it is going
            // away, say). Keep callers off the session while it is read.
            phases[lane] = .working
            spinning[lane] = false
            return .read
        case .callerSending:
            laneWaitsForSender[lane] = true
            return .waitForSender
        case .broken:
            return .reconnect
        case .stopped, .connecting, .working:
            preconditionFailure("lane \(lane) polled its socket while \(phases[lane])")
        }
    }

    /// Only part of `lane`'s result has arrived: wait for more.
    mutating func resultIncomplete(_ lane: Int) {
        precondition(phases[lane] == .working && !inFlight[lane].isEmpty)
        phases[lane] = .awaiting
    }

    /// `lane` has answered its batch (or read what the server said unasked):
    /// its next batch from the queue, or park, or stop when closed.
    mutating func answered(_ lane: Int) -> LaneStep {
        precondition(phases[lane] == .working)
        inFlight[lane] = []
        return next(lane)
    }

    /// `lane`'s session broke. Returns the waiters of its batch, to fail; the
    /// lane reconnects.
    mutating func sessionLost(_ lane: Int) -> [Int] {
        phases[lane] = .connecting
        spinning[lane] = false
        unflushed[lane] = false
        laneWaitsForSender[lane] = false
        defer { inFlight[lane] = [] }
        return inFlight[lane]
    }

    /// `lane`, parked, begins to poll without sleeping; while it does, a
    /// lone change is queued for it rather than sent by its caller.
    mutating func laneStartsSpinning(_ lane: Int) {
        precondition(phases[lane] == .parked)
        spinning[lane] = true
    }

    /// `lane` stops polling without sleeping (it found something, or its
    /// spin time is over). True when it was nudged meanwhile: it must then
    /// not sleep but take the queue (`woken`).
    mutating func laneStopsSpinning(_ lane: Int) -> Bool {
        spinning[lane] = false
        return wakeRequested[lane]
    }

    /// `lane` waited its idle time on a parked session: it may stop, unless a
    /// caller took it meanwhile.
    mutating func idleTimedOut(_ lane: Int) -> Bool {
        guard phases[lane] == .parked, queue.isEmpty else { return false }
        phases[lane] = .stopped
        spinning[lane] = false
        return true
    }

    /// No more commits; the lanes finish what is queued and stop. Returns the
    /// parked lanes, whose threads must be woken to stop.
    mutating func close() -> [Int] {
        closed = true
        return phases.indices.filter { phases[$0] == .parked }
    }

    /// A lane woken without its socket being readable: when parked, it takes
    /// the queue, or stops if closed.
    mutating func woken(_ lane: Int) -> LaneStep {
        if phases[lane] == .broken { return .reconnect }
        guard phases[lane] == .parked else { return .park }
        wakeRequested[lane] = false
        if !queue.isEmpty || closed { return next(lane) }
        return .park
    }

    // MARK: - Private

    private mutating func next(_ lane: Int) -> LaneStep {
        wakeRequested[lane] = false
        spinning[lane] = false
        if !queue.isEmpty {
            let taken = Array(queue.prefix(maxBatch))
            queue.removeFirst(taken.count)
            phases[lane] = .working
            begin(lane, taken)
            return .send(taken)
        }
        if closed {
            phases[lane] = .stopped
            return .stop
        }
        phases[lane] = .parked
        return .park
    }

    private mutating func begin(_ lane: Int, _ batch: [Int]) {
        inFlight[lane] = batch
        lastBatchSize = batch.count
        loneBatchesInARow = batch.count == 1 ? loneBatchesInARow + 1 : 0
        batches += 1
        changes += Int64(batch.count)
        largestBatch = max(largestBatch, batch.count)
    }
}
