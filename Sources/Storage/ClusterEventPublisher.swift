import Foundation
import Logging
import PostgresClient
import Synchronization

/// The sending half of cross-instance WATCH (PostgreSQL): announces the
/// events this instance committed to the other instances on the database,
/// with NOTIFY on `EventNotification.channel`.
///
/// Why after the commit and on a connection of its own: PostgreSQL serialises
/// the commits of transactions that NOTIFY (a database-wide lock held through
/// the commit's WAL flush), so notifying inside the data transactions stopped
/// group-commit batches from flushing side by side (−28 % changes/s,
/// docs/performance.md). Here the data commits notify nothing; this sender
/// coalesces whatever is queued into ≤ 7000-byte payloads and sends them
/// as `SELECT pg_notify(…)`, one transaction per round and at most one round
/// per `linger`, on a session with `synchronous_commit = off`, so its small
/// transactions wait for no flush either. A notification lost in a server crash is acceptable: WATCH is a
/// live feed, the audit trail is the record.
///
/// `enqueue` never blocks (a lock held for an append). Beyond `bound` queued
/// events it drops and counts (`dropped`) rather than grow without limit while
/// the database is unreachable. The sender reconnects with backoff (0.1 s
/// doubling to 5 s) and then sends what is still queued.
public final class ClusterEventPublisher: Sendable {
    /// This instance's id, sent as every payload's origin.
    public let origin: String
    /// Most events queued at once; more are dropped.
    public let bound: Int
    /// Least time between two rounds of sending: events committed meanwhile
    /// gather and go together, so a busy instance sends at most one round of
    /// notifications per `linger` however many commits it makes. Each
    /// notification is a transaction, and wakes every listening session.
    public let linger: Duration
    let connectionString: String
    let logger: Logger

    private struct Queue {
        var items: [EventNotification.Item] = []
        /// Events dropped since the queue last had room, for one log line per overflow.
        var droppedInOverflow = 0
    }
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    private let sentCount = Atomic<Int>(0)
    private let droppedCount = Atomic<Int>(0)
    private let notificationCount = Atomic<Int>(0)
    private let connections = Atomic<Int>(0)
    private let finishedFlag = Atomic<Bool>(false)

    public init(connectionString: String, origin: String, bound: Int = 100_000, linger: Duration = .milliseconds(100),
                logger: Logger) {
        self.connectionString = connectionString
        self.origin = origin
        self.bound = bound
        self.linger = linger
        self.logger = logger
    }

    /// Events announced to the database so far.
    public var sent: Int { sentCount.load(ordering: .relaxed) }
    /// Events dropped because the queue was full.
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }
    /// NOTIFY statements sent so far (several events share one).
    public var notifications: Int { notificationCount.load(ordering: .relaxed) }
    /// How many times the sending session was (re)established.
    public var connectionCount: Int { connections.load(ordering: .relaxed) }
    /// Events waiting to be sent.
    public var queued: Int { queue.withLock { $0.items.count } }

    /// Queues committed events for the other instances. Never blocks.
    public func enqueue(_ items: [EventNotification.Item]) {
        guard !items.isEmpty else { return }
        let (wasEmpty, dropping, firstInOverflow) = queue.withLock { queue in
            let wasEmpty = queue.items.isEmpty
            let taken = min(items.count, max(0, bound - queue.items.count))
            queue.items += items.prefix(taken)
            let firstInOverflow = queue.droppedInOverflow == 0
            queue.droppedInOverflow += items.count - taken
            return (wasEmpty, items.count - taken, firstInOverflow)
        }
        if dropping > 0 {
            droppedCount.add(dropping, ordering: .relaxed)
            if firstInOverflow {
                logger.warning("events are committed faster than they can be announced to other instances; dropping some",
                               metadata: ["queued": "\(bound)"])
            }
        }
        if wasEmpty { wake.signal() }
    }

    /// Runs `run` on a new thread; `finished` is called on it when `run` returns.
    public func start(finished: @escaping @Sendable () -> Void = {}) {
        let thread = Thread { [self] in
            run()
            finishedFlag.store(true, ordering: .releasing)
            finished()
        }
        thread.name = "atmp-event-publisher"
        thread.start()
    }

    /// Makes `run` return: at once when the database is unreachable, else
    /// once what is queued is sent (the events of the last commits).
    public func stop() {
        stopping.store(true, ordering: .releasing)
        wake.signal()
    }

    /// `stop()`, then waits up to `timeout` for the thread `start` began to end.
    public func shutdown(within timeout: Duration = .seconds(2)) async {
        stop()
        let deadline = ContinuousClock.now + timeout
        while !finishedFlag.load(ordering: .acquiring) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Sends until `stop()`. Blocks its thread: give it one of its own.
    public func run() {
        var pending: [(payload: String, events: Int)] = []  // taken from the queue, not yet sent
        SessionLoop(
            connectionString: connectionString, logger: logger,
            cannotConnect: "cannot connect to announce events to other instances; retrying",
            lost: "lost the connection that announces events; reconnecting"
        ).run(
            isStopping: { isStopping }, pause: pause, setUp: Self.prepare,
            use: { connection throws(PostgresError) in
                connections.add(1, ordering: .relaxed)
                try send(on: connection, pending: &pending)
            })
    }

    private func send(on connection: PostgresConnection, pending: inout [(payload: String, events: Int)])
        throws(PostgresError)
    {
        var quietSince = ContinuousClock.now
        var lastRound = ContinuousClock.now - linger
        // After `stop()`, only until everything queued is out.
        while !isStopping || !pending.isEmpty || queued > 0 {
            if pending.isEmpty {
                let due = lastRound + linger
                if !isStopping && ContinuousClock.now < due { Thread.sleep(forTimeInterval: Self.seconds(due - .now)) }
                // Everything queued is taken now: wake-ups signalled so far are spent.
                while wake.wait(timeout: .now()) == .success {}
                let items = queue.withLock { queue in
                    queue.droppedInOverflow = 0
                    return queue.items.isEmpty ? [] : Self.take(&queue.items)
                }
                pending = EventNotification.chunks(origin: origin, items: items)
            }
            if pending.isEmpty {
                if isStopping { return }
                if wake.wait(timeout: .now() + .milliseconds(500)) == .timedOut,
                   ContinuousClock.now - quietSince > .seconds(30) {
                    // Find out about a dead server before there is something to send.
                    try connection.execute("SELECT 1")
                    quietSince = .now
                }
                continue
            }
            lastRound = .now
            // One transaction per round: all of it is delivered, or none and it is sent again.
            if pending.count > 1 { try connection.execute("BEGIN") }
            for (payload, _) in pending {
                try connection.execute("SELECT pg_notify($1, $2)", [.text(EventNotification.channel), .text(payload)])
            }
            if pending.count > 1 { try connection.execute("COMMIT") }
            notificationCount.add(pending.count, ordering: .relaxed)
            sentCount.add(pending.reduce(0) { $0 + $1.events }, ordering: .relaxed)
            pending = []
            quietSince = .now
        }
    }

    /// The name the sending session shows in `pg_stat_activity`.
    public static let applicationName = "atmpd event publisher"

    /// Sets up a sending session: its notify-only transactions wait for no
    /// WAL flush, and operators can tell it apart.
    static func prepare(_ connection: PostgresConnection) throws(PostgresError) {
        try connection.execute("""
            SELECT set_config('synchronous_commit', 'off', false), set_config('application_name', $1, false)
            """, [.text(applicationName)])
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    private static func take(_ items: inout [EventNotification.Item]) -> [EventNotification.Item] {
        var taken: [EventNotification.Item] = []
        swap(&taken, &items)
        return taken
    }

    private func pause(_ duration: Duration) {
        let end = ContinuousClock.now + duration
        while !isStopping && ContinuousClock.now < end {
            _ = wake.wait(timeout: .now() + .milliseconds(50))
        }
    }
}
