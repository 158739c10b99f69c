import PropertyBased
import Testing
@testable import Storage

/// The commit lanes' bookkeeping on its own: no threads, no database. Each
/// test plays the callers and the lane threads by hand.
@Suite("Commit lane machine")
struct CommitLaneMachineTests {
    typealias Machine = CommitLaneMachine

    /// Lanes started and parked, each having answered a batch of one — as
    /// after a quiet period.
    func parkedLane(lanes: Int = 1, maxBatch: Int = 8) -> Machine {
        var m = Machine(lanes: lanes, maxBatch: maxBatch)
        for lane in 0..<lanes {
            // The lanes before are busy, so each commit starts the next lane.
            #expect(m.commit(-1 - lane) == .queuedStartLane(lane))
            #expect(m.laneReady(lane) == .send([-1 - lane]))
            m.laneSent(lane, flushed: true)
        }
        for lane in 0..<lanes {
            #expect(m.socketReadable(lane) == .read)
            #expect(m.answered(lane) == .park)
        }
        return m
    }

    @Test func theFirstCommitStartsALaneWhichSendsIt() {
        var m = Machine(lanes: 2, maxBatch: 8)
        #expect(m.commit(1) == .queuedStartLane(0))
        #expect(m.phases == [.connecting, .stopped])
        #expect(m.laneReady(0) == .send([1]))
        #expect(m.inFlight[0] == [1])
        #expect(m.queue.isEmpty)
    }

    /// The quiet path: a commit that finds a lane parked is sent by its caller,
    /// and nothing wakes the lane until the answer arrives.
    @Test func aLoneCommitIsSentByItsCallerOnAParkedLane() {
        var m = parkedLane()
        #expect(m.commit(7) == .send(lane: 0))
        #expect(m.phases == [.callerSending])
        #expect(m.callerSent(lane: 0, flushed: true) == false)  // no wake-up needed
        #expect(m.phases == [.awaiting])
        #expect(m.socketReadable(0) == .read)
        #expect(m.inFlight[0] == [7])
        #expect(m.answered(0) == .park)
        #expect(m.inFlight[0].isEmpty)
    }

    /// A lane polls without sleeping only after a run of lone changes, and
    /// stops as soon as a batch holds two: under load the processors are
    /// the event loops' and PostgreSQL's.
    @Test func aLaneSpinsOnlyAfterARunOfLoneChanges() {
        var m = parkedLane()  // one lone batch so far
        var waiter = 0
        func lone(_ m: inout Machine) {
            waiter += 1
            #expect(m.commit(waiter) == .send(lane: 0))
            _ = m.callerSent(lane: 0, flushed: true)
            #expect(m.socketReadable(0) == .read)
            #expect(m.answered(0) == .park)
        }
        for _ in 2..<Machine.loneBatchesBeforeSpinning { lone(&m) }
        #expect(m.loneBatchesInARow == Machine.loneBatchesBeforeSpinning - 1)
        #expect(!m.spinsWhileWaiting)
        lone(&m)
        #expect(m.spinsWhileWaiting)
        // Three arrive together: the first goes alone, the other two queue
        // behind it and go as a pair, which ends the run.
        #expect(m.commit(100) == .send(lane: 0))
        _ = m.callerSent(lane: 0, flushed: true)
        #expect(m.commit(101) == .queued)
        #expect(m.commit(102) == .queued)
        #expect(m.socketReadable(0) == .read)
        #expect(m.answered(0) == .send([101, 102]))
        #expect(!m.spinsWhileWaiting && m.loneBatchesInARow == 0)
        m.laneSent(0, flushed: true)
        #expect(m.socketReadable(0) == .read)
        #expect(m.answered(0) == .park)
        // After a pair the next change wakes the lane rather than go alone
        // (see above); it is a batch of one all the same, and a run begins.
        #expect(m.commit(103) == .queuedWakeLane(0))
        #expect(m.woken(0) == .send([103]))
        #expect(m.loneBatchesInARow == 1 && !m.spinsWhileWaiting)
    }

    /// A lane polling without sleeping takes a lone change itself: the
    /// caller queues it and nudges the lane, which finds the nudge when it
    /// stops polling and sends what queued meanwhile.
    @Test func aLoneChangeFindingItsLaneSpinningIsLeftToTheLane() {
        var m = parkedLane()
        m.laneStartsSpinning(0)
        #expect(m.commit(7) == .queuedNudgeLane(0))
        #expect(m.commit(8) == .queued)  // nudged once only
        #expect(m.phases == [.parked] && m.queue == [7, 8])
        #expect(m.laneStopsSpinning(0) == true)  // do not sleep: take the queue
        #expect(m.woken(0) == .send([7, 8]))
        m.laneSent(0, flushed: true)
        #expect(m.socketReadable(0) == .read)
        #expect(m.answered(0) == .park)
        #expect(m.spinning == [false])
    }

    /// Once the lane has stopped polling (it will sleep), callers send
    /// themselves again; a lane whose spin ended without a nudge sleeps.
    @Test func aLaneThatStoppedSpinningIsSentOnByItsCaller() {
        var m = parkedLane()
        m.laneStartsSpinning(0)
        #expect(m.laneStopsSpinning(0) == false)
        #expect(m.commit(9) == .send(lane: 0))
        // Unasked input while spinning: the flag goes with the parked phase.
        _ = m.callerSent(lane: 0, flushed: true)
        #expect(m.socketReadable(0) == .read)
        #expect(m.answered(0) == .park)
        m.laneStartsSpinning(0)
        #expect(m.socketReadable(0) == .read)
        #expect(m.spinning == [false])
        #expect(m.commit(10) == .queued)
        #expect(m.answered(0) == .send([10]))
    }

    /// Two lanes while changes come one at a time: a change that finds the
    /// first lane busy goes on the second at once, side by side.
    @Test func aLoneChangeFindingItsLaneBusyGoesOnAnother() {
        var m = parkedLane(lanes: 2)
        #expect(m.commit(1) == .send(lane: 0))
        _ = m.callerSent(lane: 0, flushed: true)
        #expect(m.commit(2) == .send(lane: 1))
        _ = m.callerSent(lane: 1, flushed: true)
        #expect(m.inFlight == [[1], [2]])
        #expect(m.commit(3) == .queued)  // both busy
        #expect(!m.spinsWhileWaiting)  // two lanes running: nobody spins
    }

    /// Found by the property test below: under load the queue waits for the
    /// lane in flight while the other is parked; that lane loses its session
    /// and cannot connect again. The parked lane is woken to take the queue —
    /// before, those changes waited until another change arrived.
    @Test func aQueueWaitingForALaneThatCannotReconnectGoesToAParkedOne() {
        var m = Machine(lanes: 2, maxBatch: 3)
        for waiter in 1...3 { _ = m.commit(waiter) }  // both lanes starting
        #expect(m.laneReady(0) == .send([1, 2, 3]))
        m.laneSent(0, flushed: true)
        #expect(m.socketReadable(0) == .read)
        #expect(m.answered(0) == .park)
        #expect(m.laneReady(1) == .park)
        #expect(m.commit(4) == .queuedWakeLane(0))  // under load: lane 0 takes the queue
        for waiter in 5...8 { #expect(m.commit(waiter) == .queued) }
        #expect(m.woken(0) == .send([4, 5, 6]))
        m.laneSent(0, flushed: true)
        #expect(m.sessionLost(0) == [4, 5, 6])
        #expect(m.laneConnectFailed(0) == ([], 1))
        #expect(m.woken(1) == .send([7, 8]))
    }

    @Test func commitsArrivingWhileTheLaneIsBusyFormItsNextBatchUpToTheLimit() {
        var m = parkedLane(maxBatch: 3)
        #expect(m.commit(1) == .send(lane: 0))
        _ = m.callerSent(lane: 0, flushed: true)
        for waiter in 2...6 { #expect(m.commit(waiter) == .queued) }
        #expect(m.socketReadable(0) == .read)
        #expect(m.answered(0) == .send([2, 3, 4]))
        #expect(m.queue == [5, 6])
        m.laneSent(0, flushed: true)
        #expect(m.socketReadable(0) == .read)
        #expect(m.answered(0) == .send([5, 6]))
        #expect(m.largestBatch == 3)
    }

    /// After a batch of several, changes are arriving together: the next one
    /// does not go alone, it wakes the lane, and those that arrive meanwhile
    /// join it. After a batch of one, callers send at once again.
    @Test func underLoadAParkedLaneIsWokenToTakeTheQueueInsteadOfSentOn() {
        var m = parkedLane()
        #expect(m.commit(1) == .send(lane: 0))
        _ = m.callerSent(lane: 0, flushed: true)
        #expect(m.commit(2) == .queued)
        #expect(m.commit(3) == .queued)
        #expect(m.socketReadable(0) == .read)
        #expect(m.answered(0) == .send([2, 3]))
        m.laneSent(0, flushed: true)
        #expect(m.socketReadable(0) == .read)
        #expect(m.answered(0) == .park)
        #expect(m.lastBatchSize == 2)

        #expect(m.commit(4) == .queuedWakeLane(0))
        #expect(m.commit(5) == .queued)  // asked to wake once only
        #expect(m.woken(0) == .send([4, 5]))
        m.laneSent(0, flushed: true)
        #expect(m.socketReadable(0) == .read)
        #expect(m.answered(0) == .park)

        // Quiet again: no batch gathered after the wake-up? Then the next
        // batch of one puts callers back to sending.
        #expect(m.commit(6) == .queuedWakeLane(0))
        #expect(m.woken(0) == .send([6]))
        m.laneSent(0, flushed: true)
        #expect(m.socketReadable(0) == .read)
        #expect(m.answered(0) == .park)
        #expect(m.commit(7) == .send(lane: 0))
    }

    /// The lane may see its socket readable before the caller has reported
    /// its send done (a notice, or a very fast server): it must not touch the
    /// session until told.
    @Test func aLaneThatSeesItsSocketWhileTheCallerSendsWaitsForItsWord() {
        var m = parkedLane()
        #expect(m.commit(1) == .send(lane: 0))
        #expect(m.socketReadable(0) == .waitForSender)
        #expect(m.callerSent(lane: 0, flushed: true) == true)  // wake the lane
        #expect(m.woken(0) == .park)  // awaiting: back to the socket
        #expect(m.socketReadable(0) == .read)
    }

    @Test func aSendThatCouldNotFlushAsksTheLaneToFinishIt() {
        var m = parkedLane()
        #expect(m.commit(1) == .send(lane: 0))
        #expect(m.callerSent(lane: 0, flushed: false) == true)
        #expect(m.unflushed == [true])
        m.flushed(0)
        #expect(m.unflushed == [false])
    }

    @Test func aFailedSendFailsOnlyTheCallersOwnChangeAndTheLaneReconnects() {
        var m = parkedLane()
        #expect(m.commit(1) == .send(lane: 0))
        #expect(m.callerSendFailed(lane: 0) == [1])
        #expect(m.phases == [.broken])
        #expect(m.commit(2) == .queued)  // the lane is broken: nobody sends on it
        #expect(m.idleTimedOut(0) == false)
        // Woken by the caller, or seeing its dead socket: either way it reconnects.
        #expect(m.woken(0) == .reconnect)
        #expect(m.socketReadable(0) == .reconnect)
        #expect(m.sessionLost(0).isEmpty)
        #expect(m.phases == [.connecting])
        #expect(m.laneReady(0) == .send([2]))
    }

    @Test func aLostSessionFailsItsBatchButNotTheQueue() {
        var m = parkedLane()
        #expect(m.commit(1) == .send(lane: 0))
        _ = m.callerSent(lane: 0, flushed: true)
        #expect(m.commit(2) == .queued)
        #expect(m.sessionLost(0) == [1])
        #expect(m.queue == [2])
        #expect(m.laneReady(0) == .send([2]))
    }

    @Test func whenNoLaneCanConnectTheQueueFails() {
        var m = Machine(lanes: 2, maxBatch: 8)
        #expect(m.commit(1) == .queuedStartLane(0))
        #expect(m.commit(2) == .queuedStartLane(1))
        #expect(m.laneConnectFailed(0) == ([], nil))  // lane 1 may still take them
        #expect(m.laneConnectFailed(1) == ([1, 2], nil))
        #expect(m.queue.isEmpty)
        #expect(m.lanesRunning == 0)
        #expect(m.commit(3) == .queuedStartLane(0))  // and the next commit tries again
    }

    @Test func neverMoreBatchesInFlightThanLanes() {
        var m = parkedLane(lanes: 2)
        #expect(m.commit(1) == .send(lane: 0))
        #expect(m.commit(2) == .send(lane: 1))
        #expect(m.commit(3) == .queued)
        #expect(m.phases.filter { $0 == .callerSending }.count == 2)
    }

    @Test func aParkedLaneStopsAfterItsIdleTimeUnlessTakenMeanwhile() {
        var m = parkedLane()
        #expect(m.commit(1) == .send(lane: 0))
        #expect(m.idleTimedOut(0) == false)  // a caller is sending on it
        _ = m.callerSent(lane: 0, flushed: true)
        #expect(m.idleTimedOut(0) == false)
        #expect(m.socketReadable(0) == .read)
        #expect(m.answered(0) == .park)
        #expect(m.idleTimedOut(0) == true)
        #expect(m.phases == [.stopped])
        #expect(m.commit(2) == .queuedStartLane(0))
    }

    /// Unasked input on a parked session (a notice): callers queue while the
    /// lane reads it, and the lane takes them afterwards.
    @Test func readingWhatTheServerSaidUnaskedKeepsCallersOff() {
        var m = parkedLane()
        #expect(m.socketReadable(0) == .read)
        #expect(m.commit(1) == .queued)
        #expect(m.answered(0) == .send([1]))
    }

    @Test func closeRefusesNewCommitsFinishesTheQueueAndStopsTheLanes() {
        var m = parkedLane(lanes: 2)
        #expect(m.commit(1) == .send(lane: 0))
        _ = m.callerSent(lane: 0, flushed: true)
        #expect(m.commit(2) == .send(lane: 1))
        _ = m.callerSent(lane: 1, flushed: true)
        #expect(m.commit(3) == .queued)
        #expect(m.close().isEmpty)  // nobody parked
        #expect(m.commit(4) == .refuse)
        #expect(m.socketReadable(0) == .read)
        #expect(m.answered(0) == .send([3]))
        #expect(m.socketReadable(1) == .read)
        #expect(m.answered(1) == .stop)
        m.laneSent(0, flushed: true)
        #expect(m.socketReadable(0) == .read)
        #expect(m.answered(0) == .stop)
        #expect(m.lanesRunning == 0)
    }

    @Test func closeWakesParkedLanesWhichStop() {
        var m = parkedLane(lanes: 2)
        #expect(m.close() == [0, 1])
        #expect(m.woken(0) == .stop)
        #expect(m.woken(1) == .stop)
        #expect(m.lanesRunning == 0)
    }

    /// Random interleavings of callers and lane threads: every commit is
    /// answered or failed exactly once, batches respect the limit, and at
    /// most `lanes` batches are ever in flight. At the end, parked lanes
    /// wake only when the machine asked for it, as the real ones: a queue
    /// left to nobody would stay unanswered and fail the test.
    @Test func everyCommitIsAnsweredOnceWhateverTheInterleaving() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0...7).array(of: 20...400)) { moves in
            var m = Machine(lanes: 2, maxBatch: 3)
            var next = 0
            var settled: [Int: Int] = [:]  // waiter → times answered or failed
            var sending: [Int: Int] = [:]  // lane → waiter a caller is sending
            func settle(_ waiters: [Int]) { for w in waiters { settled[w, default: 0] += 1 } }
            for move in moves {
                // Lane threads: a connecting lane gets ready; an awaiting one reads; a parked one may be woken.
                let lane = move % 2
                switch (move, m.phases[lane]) {
                case (0, _), (1, _):
                    next += 1
                    switch m.commit(next) {
                    case .send(let l): sending[l] = next
                    case .queuedStartLane, .queuedWakeLane, .queuedNudgeLane, .queued: break
                    case .refuse: settle([next])
                    }
                case (2, .connecting), (3, .connecting):
                    if case .send = m.laneReady(lane) { m.laneSent(lane, flushed: true) }
                case (2, .callerSending):
                    _ = m.callerSent(lane: lane, flushed: true)
                    sending[lane] = nil
                case (3, .callerSending):
                    settle(m.callerSendFailed(lane: lane))
                    sending[lane] = nil
                case (_, .broken):
                    #expect(m.woken(lane) == .reconnect)
                    settle(m.sessionLost(lane))
                    if case .send = m.laneReady(lane) { m.laneSent(lane, flushed: true) }
                case (2, .awaiting), (3, .awaiting):
                    #expect(m.socketReadable(lane) == .read)
                    settle(m.inFlight[lane])
                    if case .send = m.answered(lane) { m.laneSent(lane, flushed: true) }
                case (4, .parked), (5, .parked):
                    if case .send = m.woken(lane) { m.laneSent(lane, flushed: true) }
                case (4, .awaiting), (5, .awaiting):
                    settle(m.sessionLost(lane))  // connecting again: a later move decides how that goes
                case (6, .connecting):
                    settle(m.laneConnectFailed(lane).fail)
                case (7, .parked):
                    // A lane begins to poll without sleeping, or stops: if
                    // nudged meanwhile it takes the queue, as the real one.
                    if !m.spinning[lane] {
                        m.laneStartsSpinning(lane)
                    } else if m.laneStopsSpinning(lane), case .send = m.woken(lane) {
                        m.laneSent(lane, flushed: true)
                    }
                default:
                    break
                }
                #expect(m.inFlight.allSatisfy { $0.count <= 3 })
                #expect(m.phases.filter { [.callerSending, .awaiting, .working].contains($0) }.count <= 2)
            }
            // Drain: let every lane finish whatever is left.
            for _ in 0..<200 {
                for lane in 0..<2 {
                    switch m.phases[lane] {
                    case .connecting: if case .send = m.laneReady(lane) { m.laneSent(lane, flushed: true) }
                    case .callerSending: _ = m.callerSent(lane: lane, flushed: true)
                    case .awaiting:
                        _ = m.socketReadable(lane)
                        settle(m.inFlight[lane])
                        if case .send = m.answered(lane) { m.laneSent(lane, flushed: true) }
                    case .parked:
                        if m.wakeRequested[lane], case .send = m.woken(lane) { m.laneSent(lane, flushed: true) }
                    case .broken:
                        settle(m.sessionLost(lane))
                        if case .send = m.laneReady(lane) { m.laneSent(lane, flushed: true) }
                    case .stopped, .working: break
                    }
                }
            }
            #expect(m.queue.isEmpty)
            #expect(settled.count == next && settled.values.allSatisfy { $0 == 1 }, "\(moves)")
        }
    }
}
