import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Group commit on PostgreSQL: concurrent case changes share transactions —
/// one statement, one WAL flush — instead of each paying for its own.
///
/// At most `lanes` batches are in flight at once, each on a lane: a thread
/// with a database session of its own, leased from the pool while the lane
/// lives. `CommitLaneMachine` keeps the books; this class does the I/O.
///
/// - A change that finds a lane parked is sent on that lane's session by its
///   caller, at once and without waiting: libpq in non-blocking mode only
///   hands the statement to the socket, so this may happen on an event loop.
///   The lane thread, which waits in poll(2) on the socket, wakes when the
///   answer arrives.
/// - Changes that arrive while no lane is parked queue. A lane that has
///   answered its batch takes the queue (up to `maxBatch` changes) as its next
///   batch, sends it itself and goes on waiting.
/// - Answering a batch: the shared statement's answer decides each change
///   (`SQLStore.outcomes`); what it cannot decide is committed alone, on the
///   lane, waiting. The lane then sends the next batch, if changes are
///   queued, and only then resumes the answered batch's callers. A change
///   committed alone also has its `whenDurable` run by the lane, just before
///   its caller is resumed (the daemon sends the reply from there), and the
///   rest of its request runs on the lane too (`JobAdoption`); a batch's are
///   left to its callers (see `resume`).
///
/// While changes come one at a time, a waiting lane first polls its socket
/// without sleeping, for up to `spin`, and only then sleeps in poll(2)
/// (`CommitLaneMachine.spinsWhileWaiting`): on the virtual machines measured,
/// the wake-up of a sleeping thread added 20–25 µs to every lone change. It
/// does so only when its previous wait was over within `spin`: a lane whose
/// changes come seconds apart would spin in vain after each.
/// While a parked lane spins, the next change is left to it rather than sent
/// by its caller (the caller sets a flag the lane looks at between polls),
/// and is not even encoded up front: the lane's processor is idle then, and
/// the caller's is the one its client's next request waits for.
/// A spinning lane also polls the client sockets in `watch` and reads
/// them for the daemon, whose request then runs on the lane (`LaneWatch`);
/// whenever it stops spinning it hands them back.
///
/// A lane thread starts when a change finds no lane running, and ends after
/// `idleTimeout` parked, giving its session back: an idle store keeps no
/// threads. A lane whose session breaks fails its batch with `.unavailable`
/// and connects again; if it cannot, the queue fails too (when no other lane
/// is left to take it).
final class CommitLanes: Sendable {
    /// What a caller is resumed with: failure, or success and whether its
    /// `whenDurable` ran already.
    typealias Outcome = Result<Bool, StoreError>

    private struct Waiter: Sendable {
        var pending: SQLStore.PendingCommit
        var continuation: CheckedContinuation<Outcome, Never>
    }

    private struct State: ~Copyable {
        var machine: CommitLaneMachine
        var waiters: [Int: Waiter] = [:]
        var nextID = 0
        /// Each lane's session while it has one.
        var sessions: [PostgresSQLConnection?]
        /// Lane threads alive; `close` waits for them.
        var threads = 0
    }

    let maxBatch: Int
    let idleTimeout: Duration
    /// How long a lane polls without sleeping before it sleeps; zero never.
    let spin: Duration
    /// Waits that ended while the lane was polling without sleeping.
    private let spinHits = Atomic<Int64>(0)
    /// Changes committed alone after their shared statement failed as a whole.
    private let retriedAlone = Atomic<Int64>(0)
    private let pool: ConnectionPool
    private let state: Mutex<State>
    /// One wake-up descriptor per lane: how anyone interrupts its poll(2).
    private let wakes: [WakeDescriptor]
    /// One flag per lane, looked at between the polls of a lane polling
    /// without sleeping: cheaper than the wake-up descriptor (no system call).
    private let nudges: [Nudge]
    /// A lane is parked and polling without sleeping (there is at most one:
    /// see `CommitLaneMachine.spinsWhileWaiting`).
    private let spinning = Atomic<Bool>(false)
    /// Client sockets a spinning lane reads for the daemon (`LaneWatch`).
    let watch = LaneWatch()

    /// Whether a lane idles, polling, for the next change: a hint (read
    /// without the lock) that the next change will most likely go alone,
    /// sent by that lane, whose processor has time to spare.
    var laneIsSpinning: Bool { spinning.load(ordering: .relaxed) }
    /// The batch a lane sent last held several changes: a hint that the next
    /// change will meet others too (written and read without the lock).
    private let batching = Atomic<Bool>(false)
    var changesMeetInBatches: Bool { batching.load(ordering: .relaxed) }

    /// What a caller encodes before it queues its change
    /// (`SQLStore.PendingCommit`).
    var encodingUpFront: SQLStore.PendingCommit.Encoding {
        if laneIsSpinning { return .none }
        return changesMeetInBatches ? .batchOnly : .both
    }
    /// Signalled by each lane thread that ends after `close` began.
    private let ended = DispatchSemaphore(value: 0)

    init(lanes: Int, maxBatch: Int, idleTimeout: Duration = .seconds(2), spin: Duration = .zero, pool: ConnectionPool)
        throws(StoreError)
    {
        self.maxBatch = maxBatch
        self.idleTimeout = idleTimeout
        self.spin = spin
        self.pool = pool
        state = Mutex(State(machine: CommitLaneMachine(lanes: lanes, maxBatch: maxBatch),
                            sessions: Array(repeating: nil, count: lanes)))
        var wakes: [WakeDescriptor] = []
        for _ in 0..<lanes { wakes.append(try WakeDescriptor()) }
        self.wakes = wakes
        nudges = (0..<lanes).map { _ in Nudge() }
    }

    /// Commits the change alone or with others; returns or throws once its
    /// batch has been answered. Returns whether the change's `whenDurable`
    /// ran (on the lane, for a change committed alone); if not, it is the
    /// caller's to run.
    @discardableResult
    func commit(_ pending: SQLStore.PendingCommit) async throws(StoreError) -> Bool {
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let (id, action, session) = state.withLock { s in
                let id = s.nextID
                s.nextID += 1
                s.waiters[id] = Waiter(pending: pending, continuation: continuation)
                let action = s.machine.commit(id)
                switch action {
                case .refuse: s.waiters[id] = nil
                case .queuedStartLane: s.threads += 1
                case .send(let lane): return (id, action, s.sessions[lane])
                case .queued, .queuedWakeLane, .queuedNudgeLane: break
                }
                return (id, action, nil as PostgresSQLConnection?)
            }
            switch action {
            case .refuse:
                continuation.resume(returning: .failure(StoreError(.unavailable, "the store is closed")))
            case .queued:
                break
            case .queuedStartLane(let lane):
                startThread(lane)
            case .queuedWakeLane(let lane):
                wakes[lane].signal()
            case .queuedNudgeLane(let lane):
                nudges[lane].set()
            case .send(let lane):
                // A lane parks only once its session is in place.
                send(id, pending, on: lane, session: session!)
            }
        }
        return try outcome.get()
    }

    /// Lets the lanes answer what is in flight and queued, refuses commits
    /// from now on (`.unavailable`), and waits for the lane threads to end.
    func close() async {
        let (parked, alive) = state.withLock { s in (s.machine.close(), s.threads) }
        for lane in parked { wakes[lane].signal() }
        guard alive > 0 else { return }
        // Off the caller's thread: waiting for threads blocks.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { [self] in
                for _ in 0..<alive { ended.wait() }
                done.resume()
            }
        }
    }

    var status: GroupCommitStatus {
        state.withLock { s in
            GroupCommitStatus(lanes: s.machine.lanes, lanesRunning: s.machine.lanesRunning, queued: s.machine.queue.count,
                              batches: s.machine.batches, changes: s.machine.changes, largestBatch: s.machine.largestBatch,
                              spinMicroseconds: Int64(spin / .microseconds(1)),
                              spinHits: spinHits.load(ordering: .relaxed),
                              retriedAlone: retriedAlone.load(ordering: .relaxed),
                              laneReads: watch.counts.reads, laneHandBacks: watch.counts.handBacks)
        }
    }

    /// The socket of `lane`'s session, while it has one (tests break it).
    func socketForTesting(lane: Int) -> Int32? {
        state.withLock { $0.sessions[lane]?.socketDescriptor }
    }

    /// Batches sent so far, changes in them, and the largest batch.
    var statistics: (batches: Int64, items: Int64, largest: Int) {
        state.withLock { ($0.machine.batches, $0.machine.changes, $0.machine.largestBatch) }
    }

    // MARK: - The caller's send

    /// Sends the caller's own change on a parked lane's session. Never waits:
    /// the lane thread reads the answer.
    private func send(_ id: Int, _ pending: SQLStore.PendingCommit, on lane: Int, session: PostgresSQLConnection) {
        let (sql, params) = SQLStore.statement(writing: [pending])
        batching.store(false, ordering: .relaxed)
        do {
            let flushed = try session.send(sql, params)
            if state.withLock({ $0.machine.callerSent(lane: lane, flushed: flushed) }) { wakes[lane].signal() }
        } catch {
            session.discard()
            let failed = state.withLock { s in s.machine.callerSendFailed(lane: lane).compactMap { s.waiters.removeValue(forKey: $0) } }
            for waiter in failed { waiter.continuation.resume(returning: .failure(Self.lost(error))) }
            wakes[lane].signal()  // the lane finds its session broken and connects again
        }
    }

    // MARK: - Lane threads

    private func startThread(_ lane: Int) {
        Thread.detachNewThread { [self] in
            Thread.current.name = "commit-lane"  // for top -H and perf
            runLane(lane)
        }
    }

    private enum End { case stop, reconnect }

    /// One lane thread: connects, serves batches, connects again when its
    /// session breaks; ends when idle, closed, or unable to connect.
    private func runLane(_ lane: Int) {
        while true {
            let end: End
            do {
                end = try pool.withConnectionHere { connection throws(StoreError) -> End in
                    guard let session = connection as? PostgresSQLConnection else {
                        throw StoreError(.failure, "commit lanes need a PostgreSQL connection")
                    }
                    try session.prepareToSend(SQLStore.commitStatements)
                    defer { session.stopSending() }
                    return serve(lane, on: session)
                }
            } catch {
                let (failed, wake) = state.withLock { s in
                    s.sessions[lane] = nil
                    let (fail, wake) = s.machine.laneConnectFailed(lane)
                    return (fail.compactMap { s.waiters.removeValue(forKey: $0) }, wake)
                }
                if let wake { wakes[wake].signal() }
                for waiter in failed { waiter.continuation.resume(returning: .failure(error)) }
                break
            }
            if end == .stop { break }
        }
        let closing = state.withLock { s in
            s.threads -= 1
            return s.machine.closed
        }
        if closing { ended.signal() }
    }

    /// Serves batches on one session until the lane stops or the session breaks.
    private func serve(_ lane: Int, on session: PostgresSQLConnection) -> End {
        var step = state.withLock { s in
            s.sessions[lane] = session
            return s.machine.laneReady(lane)
        }
        var lastWaitShort = true
        var idleSince: ContinuousClock.Instant?
        while true {
            switch step {
            case .stop:
                watch.handBackAll()
                state.withLock { $0.sessions[lane] = nil }
                return .stop
            case .send(let ids):
                if let error = send(ids, on: lane, session) { return lose(lane, session, error) }
                step = .park
            case .read:
                let ids = state.withLock { $0.machine.inFlight[lane] }
                let answer: Result<[SQLRow], StoreError>?
                do {
                    answer = try session.receive()
                } catch {
                    return lose(lane, session, error)
                }
                if ids.isEmpty {
                    // Read what the server said unasked (notices); nothing to answer.
                    step = state.withLock { $0.machine.answered(lane) }
                } else if let answer {
                    let answered = decide(ids, answer, on: session)
                    guard session.isUsable else {
                        resume(answered)
                        return lose(lane, session, StoreError(.unavailable, "connection lost"))
                    }
                    step = state.withLock { $0.machine.answered(lane) }
                    // The next batch goes to PostgreSQL before this one's
                    // callers are woken: under load the server's turn-around
                    // is what limits, and waking callers takes a while.
                    var lost: StoreError?
                    if case .send(let next) = step {
                        lost = send(next, on: lane, session)
                        step = .park
                    }
                    resume(answered)
                    if let lost { return lose(lane, session, lost) }
                } else {
                    state.withLock { $0.machine.resultIncomplete(lane) }
                    step = .park
                }
            case .reconnect:
                return lose(lane, session, StoreError(.unavailable, "a send on the commit lane's connection failed"))
            case .park, .waitForSender:
                switch wait(lane, on: session, forSenderOnly: step == .waitForSender, lastWaitShort: &lastWaitShort,
                            idleSince: &idleSince) {
                case .next(let next): step = next
                case .lost(let error): return lose(lane, session, error)
                }
            }
        }
    }

    private enum Waited { case next(CommitLaneMachine.LaneStep), lost(StoreError) }

    /// Waits in poll(2) for the session's socket (unless a caller is still
    /// sending on it) and the lane's wake-up descriptor; says what to do next.
    /// `lastWaitShort`: whether the lane's previous wait for work was over
    /// within `spin` (only then is this one worth spinning); updated for the
    /// next. `idleSince`: when that wait began, kept while a wait ends with
    /// nothing to do (a signal, a stray wake-up), so that it does not count
    /// as a new, short one. A wait for a caller to finish its send is
    /// bookkeeping and counts for neither.
    private func wait(_ lane: Int, on session: PostgresSQLConnection, forSenderOnly: Bool,
                      lastWaitShort: inout Bool, idleSince: inout ContinuousClock.Instant?) -> Waited
    {
        let started = forSenderOnly ? ContinuousClock.now : idleSince ?? ContinuousClock.now
        if !forSenderOnly { idleSince = started }
        let waited = wait(lane, on: session, forSenderOnly: forSenderOnly, started: started,
                          spinMayPay: spin > .zero && lastWaitShort && ContinuousClock.now - started < spin)
        guard !forSenderOnly else { return waited }
        switch waited {
        case .next(.park):
            break  // nothing came: the same wait goes on
        case .next, .lost:
            lastWaitShort = ContinuousClock.now - started <= spin
            idleSince = nil
        }
        return waited
    }

    private func wait(_ lane: Int, on session: PostgresSQLConnection, forSenderOnly: Bool,
                      started: ContinuousClock.Instant, spinMayPay: Bool) -> Waited
    {
        // Cleared before the lane says it spins: a nudge after that is for
        // this spin. (One from a caller that stalled past a whole turn of the
        // lane can still end it early; the lane then sleeps this once.)
        if spinMayPay { nudges[lane].clear() }
        let (parked, unflushed, spins, alone) = state.withLock { s in
            let parked = s.machine.phases[lane] == .parked
            let spins = s.machine.spinsWhileWaiting && spinMayPay
            if spins && parked { s.machine.laneStartsSpinning(lane) }
            return (parked, s.machine.unflushed[lane], spins, s.machine.lanesRunning == 1)
        }
        if spins && parked { spinning.store(true, ordering: .relaxed) }
        // Client sockets are read by the only lane running (LaneWatch):
        // with two, neither could serve a request while the other waits.
        if alone { watch.startAccepting() } else { watch.handBackAll() }
        var descriptors = [pollfd(fd: wakes[lane].descriptor, events: Int16(POLLIN), revents: 0)]
        if !forSenderOnly {
            // libpq drops the socket of a connection it found broken.
            guard session.socketDescriptor >= 0 else { return .lost(StoreError(.unavailable, "connection lost")) }
            let events = POLLIN | (unflushed ? POLLOUT : 0)
            descriptors.append(pollfd(fd: session.socketDescriptor, events: Int16(events), revents: 0))
        }
        // Idle time counts from when the lane fell idle: a wake-up with
        // nothing to do (a client socket watched, say) does not start it anew.
        let timeout = parked ? Int32(clamping: max(.zero, idleTimeout - (ContinuousClock.now - started)).milliseconds) : -1
        var ready: Int32 = 0
        if spins {
            ready = pollWithoutSleeping(&descriptors, until: started.advanced(by: spin), nudge: nudges[lane])
            if parked { spinning.store(false, ordering: .relaxed) }
            if parked && state.withLock({ $0.machine.laneStopsSpinning(lane) }) && ready == 0 {
                // A change was queued for it while it polled.
                spinHits.add(1, ordering: .relaxed)
                return .next(state.withLock { $0.machine.woken(lane) })
            }
            if ready > 0 { spinHits.add(1, ordering: .relaxed) }
        }
        if ready == 0 {
            if alone && !forSenderOnly {
                ready = pollWatching(&descriptors, timeout: timeout, lane: lane)
            } else {
                ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            }
        }
        if ready < 0 {
            if errno == EINTR { return .next(.park) }  // a signal: wait on
            return .lost(StoreError(.unavailable, "poll on the database socket failed: errno \(errno)"))
        }
        if descriptors[0].revents != 0 { wakes[lane].drain() }
        if ready == 0 {
            return .next(state.withLock { $0.machine.idleTimedOut(lane) } ? .stop : .park)
        }
        if descriptors.count > 1 {
            let revents = Int32(descriptors[1].revents)
            if unflushed && revents & POLLOUT != 0 {
                do {
                    if try session.flush() { state.withLock { $0.machine.flushed(lane) } }
                } catch {
                    return .lost(error)
                }
            }
            if revents & (POLLIN | POLLHUP | POLLERR) != 0 {
                return .next(state.withLock { $0.machine.socketReadable(lane) })
            }
        }
        return .next(state.withLock { $0.machine.woken(lane) })
    }

    /// poll(2) over the lane's own descriptors and the watched client
    /// sockets, sleeping up to `timeout` milliseconds (-1: no limit); poll's
    /// result for `descriptors`. Client sockets that are ready are served on
    /// the way (their requests may give the lane work: a change queued for
    /// it wakes it, one its caller sent makes the session readable), and a
    /// socket watched meanwhile wakes the lane to poll it too.
    private func pollWatching(_ descriptors: inout [pollfd], timeout: Int32, lane: Int) -> Int32 {
        let own = descriptors.count
        var all = descriptors
        let deadline = timeout >= 0 ? ContinuousClock.now.advanced(by: .milliseconds(timeout)) : nil
        let wake: @Sendable () -> Void = { [wakes] in wakes[lane].signal() }
        while true {
            let watched = watch.watchedWhileAsleep(wake: wake)
            all.removeSubrange(own...)
            for i in 0..<own { all[i].revents = 0 }
            for (_, socket) in watched {
                all.append(pollfd(fd: socket, events: Int16(POLLIN | pollReadHangUp), revents: 0))
            }
            let left = deadline.map { Int32(clamping: max(0, ($0 - ContinuousClock.now).milliseconds)) } ?? -1
            let polled = poll(&all, nfds_t(all.count), left)
            let pollError = errno
            watch.awake()
            if polled <= 0 {
                errno = pollError  // the caller looks at EINTR
                return polled
            }
            let served = (own..<all.count).filter { all[$0].revents != 0 }.map { (watched[$0 - own].id, all[$0].revents) }
            if !served.isEmpty { watch.serve(served) }
            if polled > Int32(served.count) {
                for i in 0..<own { descriptors[i].revents = all[i].revents }
                return polled - Int32(served.count)
            }
        }
    }

    /// poll(2) with no timeout, again and again until something is ready or
    /// `deadline` has passed; poll's result for `descriptors`.
    /// Stops early, returning 0, when nudged.
    /// The client sockets in `watch` are polled too; those that are ready
    /// are served on the way (their requests may nudge the lane).
    private func pollWithoutSleeping(_ descriptors: inout [pollfd], until deadline: ContinuousClock.Instant,
                                     nudge: Nudge) -> Int32
    {
        let own = descriptors.count
        var all = descriptors
        var watchedIDs: [UInt64] = []
        var watchedVersion = UInt64.max
        while true {
            let version = watch.currentVersion
            if version != watchedVersion {
                watchedVersion = version
                let watched = watch.watched()
                watchedIDs = watched.map(\.id)
                all.removeSubrange(own...)
                for (_, socket) in watched {
                    all.append(pollfd(fd: socket, events: Int16(POLLIN | pollReadHangUp), revents: 0))
                }
            }
            let polled = poll(&all, nfds_t(all.count), 0)
            if polled < 0 && errno == EINTR { continue }  // a signal: poll again
            var ready = polled
            if polled > 0 && all.count > own {
                let served = (own..<all.count).filter { all[$0].revents != 0 }.map { (watchedIDs[$0 - own], all[$0].revents) }
                ready -= Int32(served.count)
                if !served.isEmpty { watch.serve(served) }
            }
            if ready != 0 || ContinuousClock.now >= deadline {
                for i in 0..<own { descriptors[i].revents = all[i].revents }
                return ready
            }
            if nudge.isSet { return 0 }
            // Give way at once to a thread woken on this processor (an event
            // loop, the client, PostgreSQL's backend): spinning is for when
            // the processor has nothing else to do.
            sched_yield()
        }
    }

    /// Sends the batch of these waiters on the lane's session, without
    /// waiting; the error when the session broke.
    private func send(_ ids: [Int], on lane: Int, _ session: PostgresSQLConnection) -> StoreError? {
        let batch = state.withLock { s in ids.map { s.waiters[$0]!.pending } }
        batching.store(batch.count > 1, ordering: .relaxed)
        let plan = SQLStore.plan(batch)
        let (sql, params) = SQLStore.statement(writing: plan.together.map { batch[$0] })
        do {
            let flushed = try session.send(sql, params)
            state.withLock { $0.machine.laneSent(lane, flushed: flushed) }
            return nil
        } catch {
            return error
        }
    }

    /// Decides each change of the answered batch (committing alone, waiting,
    /// what the shared statement could not decide) and takes the batch's
    /// waiters off the books, for `resume`.
    private func decide(_ ids: [Int], _ answer: Result<[SQLRow], StoreError>, on session: PostgresSQLConnection)
        -> [(Waiter, Outcome)]
    {
        let waiters = state.withLock { s in ids.map { s.waiters.removeValue(forKey: $0)! } }
        if let waiter = waiters.first, waiters.count == 1 {
            // A lone change (the common case at low load, where latency counts):
            // its statement's answer is its outcome.
            return [(waiter, SQLStore.singleOutcome(waiter.pending.write, answer: answer).map { true })]
        }
        let batch = waiters.map(\.pending)
        var plan = SQLStore.plan(batch)
        let together = SQLStore.outcomes(of: plan.together.map { batch[$0] }, answer: answer)
        if together == nil {
            retriedAlone.add(Int64(plan.together.count), ordering: .relaxed)
            // Committing them one by one keeps the lane busy for a round trip
            // each: clients it reads would wait on it meanwhile.
            watch.handBackAll()
        }
        let outcomes = SQLStore.finishBatch(batch, plan: &plan, together: together, on: session)
        let alone = batch.count == 1
        return zip(waiters, outcomes).map { ($0, $1.map { alone }) }
    }

    /// Resumes the callers of an answered batch.
    ///
    /// A change committed alone also has its `whenDurable` run here: the
    /// daemon sends the reply from there, a thread hand-over sooner than the
    /// event loop could. Then its caller is resumed, and what is left of the
    /// request runs on this thread (`JobAdoption`) rather than waking the
    /// caller's event loop, which stays asleep until the client's next
    /// request. Larger batches leave `whenDurable` to their callers: a lane
    /// writes every batch of this instance in turn, and replies written one
    /// by one here, before the callers ran, made every batch wait for them —
    /// measured slower at 8 and 32 connections (docs/performance.md). While
    /// the lane reads the clients, though, their callers run here too (the
    /// next batch is on its way by then), each writing its own reply: the
    /// event loops are then out of the way of a change altogether.
    private func resume(_ answered: [(Waiter, Outcome)]) {
        for (waiter, outcome) in answered {
            if case .success(true) = outcome, let whenDurable = waiter.pending.whenDurable {
                // The reply goes first; the rest of the request runs here,
                // and the event loop is not woken for it (JobAdoption).
                whenDurable()
                JobAdoption.adopting { waiter.continuation.resume(returning: outcome) }
            } else if watch.readsClients {
                // The lane reads the clients: the caller's task finishes its
                // request here and waits for the next one here too, and its
                // event loop is not woken at all.
                JobAdoption.adopting { waiter.continuation.resume(returning: outcome) }
            } else {
                waiter.continuation.resume(returning: outcome)
            }
        }
    }

    /// The session broke: fail its batch, give the session back as unusable,
    /// and connect again.
    private func lose(_ lane: Int, _ session: PostgresSQLConnection, _ error: StoreError) -> End {
        watch.handBackAll()
        session.discard()
        let failed = state.withLock { s in
            s.sessions[lane] = nil
            return s.machine.sessionLost(lane).compactMap { s.waiters.removeValue(forKey: $0) }
        }
        for waiter in failed { waiter.continuation.resume(returning: .failure(Self.lost(error))) }
        return .reconnect
    }

    /// A failed send or read: the change may or may not have been written
    /// (the connection died after the commit, say), which only the store can tell.
    private static func lost(_ error: StoreError) -> StoreError {
        error.code == .unavailable ? error : StoreError(.unavailable, "PostgreSQL connection failed: \(error.message)")
    }
}

/// A flag set for a lane polling without sleeping.
private final class Nudge: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .releasing) }
    func clear() { flag.store(false, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}

/// A pipe that interrupts a lane's poll(2): written to wake the lane, read
/// empty by the lane.
private final class WakeDescriptor: Sendable {
    /// The end the lane polls.
    let descriptor: Int32
    private let writeEnd: Int32

    init() throws(StoreError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw StoreError(.failure, "pipe failed: errno \(errno)") }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        descriptor = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(descriptor)
        close(writeEnd)
    }

    /// A full pipe is as good as a written one: the lane wakes either way.
    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    func drain() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(descriptor, &bytes, bytes.count) > 0 {}
    }
}

private extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
