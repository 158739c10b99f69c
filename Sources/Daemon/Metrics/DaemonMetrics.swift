import Histogram
import Prometheus
import Storage
import Synchronization

/// Counts what one atmpd instance does, for STATS and for the Prometheus
/// endpoint, from one set of recordings.
///
/// Each recording updates two things: this instance's own figures (read back
/// by STATS, with HdrHistogram percentiles per command) and swift-prometheus
/// collectors (emitted in Prometheus' text format by the endpoint). Keeping
/// both is a little duplication on purpose: swift-prometheus cannot read its
/// values back, and STATS should not depend on the endpoint being on.
///
/// What can only be sampled — open connections, pool use, the case cache —
/// is read when asked (`stats(sampling:)`, `prometheusText(sampling:)`).
public final class DaemonMetrics: Sendable {
    /// Latency buckets for `atmpd_request_duration_seconds`: 100 µs to 10 s.
    static let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2_500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .microseconds(2_500_000), .seconds(5), .seconds(10),
    ]

    /// What is sampled at the moment of asking rather than counted.
    public struct Sample: Sendable {
        public var watchers: Int
        public var pool: PoolStatus?
        public var caseCacheEntries: Int
        public var caseCacheHits: Int64
        public var caseCacheMisses: Int64
        /// Clock ticks that scanned for overdue cases, and ones skipped
        /// because another instance held the scan lease.
        public var overdueScans: Int64
        public var overdueScansSkipped: Int64
        /// Events announced to other instances (PostgreSQL, cluster events on).
        public var clusterEvents: DaemonStats.ClusterEvents?
        public init(watchers: Int = 0, pool: PoolStatus? = nil, caseCacheEntries: Int = 0,
                    caseCacheHits: Int64 = 0, caseCacheMisses: Int64 = 0, overdueScans: Int64 = 0,
                    overdueScansSkipped: Int64 = 0, clusterEvents: DaemonStats.ClusterEvents? = nil) {
            self.watchers = watchers; self.pool = pool
            self.caseCacheEntries = caseCacheEntries; self.caseCacheHits = caseCacheHits
            self.caseCacheMisses = caseCacheMisses; self.overdueScans = overdueScans
            self.overdueScansSkipped = overdueScansSkipped; self.clusterEvents = clusterEvents
        }
    }

    private struct CommandState {
        var replies: [Int: Int64] = [:]
        var latency = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000,
                                        numberOfSignificantValueDigits: .two)
        var totalMicroseconds: UInt64 = 0
        var requestCounters: [Int: Prometheus.Counter] = [:]
        let duration: DurationHistogram
    }

    private struct State: ~Copyable {
        var commands: [String: CommandState] = [:]
        var connectionsOpen = 0
        var connectionsAccepted: Int64 = 0
        var connectionsRefused: Int64 = 0
        var changes: Int64 = 0
        var changeEvents: Int64 = 0
        var overdueEvents: Int64 = 0
        var conflicts: Int64 = 0
        var earlyReplies: Int64 = 0
        var storeUnavailable: Int64 = 0
        var storeFailures: Int64 = 0
        /// Sampled totals already passed on to Prometheus (its counters only add), by collector.
        var exported: [ObjectIdentifier: Int64] = [:]
    }

    public let registry: PrometheusCollectorRegistry
    private let state = Mutex(State())
    private let started = ContinuousClock.now

    private let connectionsAccepted: Prometheus.Counter
    private let connectionsRefused: Prometheus.Counter
    private let changes: Prometheus.Counter
    private let changeEvents: Prometheus.Counter
    private let overdueEvents: Prometheus.Counter
    private let conflicts: Prometheus.Counter
    private let earlyReplies: Prometheus.Counter
    private let storeUnavailable: Prometheus.Counter
    private let storeFailures: Prometheus.Counter
    private let cacheHits: Prometheus.Counter
    private let cacheMisses: Prometheus.Counter
    private let connectFailures: Prometheus.Counter
    private let overdueScans: (scanned: Prometheus.Counter, skipped: Prometheus.Counter)
    private let clusterEventCounters: (sent: Prometheus.Counter, dropped: Prometheus.Counter)
    private let clusterEventsQueued: Gauge
    private let connections: Gauge
    private let watchers: Gauge
    private let cacheEntries: Gauge
    private let uptime: Gauge
    private let poolGauges: (size: Gauge, inUse: Gauge, idle: Gauge, waiting: Gauge)
    private let groupCommitCounters: (batches: Prometheus.Counter, changes: Prometheus.Counter,
                                       spinHits: Prometheus.Counter, retriedAlone: Prometheus.Counter,
                                       laneReads: Prometheus.Counter, laneHandBacks: Prometheus.Counter)
    private let groupCommitQueued: Gauge

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func counter(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Prometheus.Counter {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(namespace: "atmpd", metricName: name, unitName: "total", helpText: help),
                labels: labels)
        }
        func gauge(_ name: String, _ unit: String, _ help: String, _ labels: [(String, String)] = []) -> Gauge {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "atmpd", metricName: name, unitName: unit, helpText: help),
                labels: labels)
        }
        connectionsAccepted = counter("connections_accepted", "Control connections accepted since start.")
        connectionsRefused = counter("connections_refused", "Control connections refused with 452 (connection limit).")
        changes = counter("changes", "Case changes committed (CASE OPEN included).")
        changeEvents = counter("change_events", "Audit events written by committed case changes.")
        overdueEvents = counter("overdue_events", "case.overdue events raised by this instance.")
        conflicts = counter("conflicts", "Commits refused because the case had changed (retried ones included).")
        earlyReplies = counter("early_replies", "Change replies written straight to the Unix socket once the change was durable.")
        storeUnavailable = counter("store_errors", "Store calls that failed, by kind.", [("kind", "unavailable")])
        storeFailures = counter("store_errors", "Store calls that failed, by kind.", [("kind", "failure")])
        cacheHits = counter("case_cache_lookups", "Case cache lookups on the change path.", [("result", "hit")])
        cacheMisses = counter("case_cache_lookups", "Case cache lookups on the change path.", [("result", "miss")])
        connectFailures = counter("pool_connect_failures", "Failed attempts to open a database connection.")
        let scanHelp = "Overdue clock ticks: scanned, or skipped while another instance held the scan lease."
        overdueScans = (counter("overdue_scans", scanHelp, [("result", "scanned")]),
                        counter("overdue_scans", scanHelp, [("result", "skipped")]))
        let clusterHelp = "Committed events announced to other instances (sent), or dropped from a full queue."
        clusterEventCounters = (counter("cluster_events", clusterHelp, [("result", "sent")]),
                                counter("cluster_events", clusterHelp, [("result", "dropped")]))
        clusterEventsQueued = gauge("cluster_events", "queued", "Events waiting to be announced to other instances.")
        connections = gauge("connections", "open", "Control connections open now.")
        watchers = gauge("watchers", "open", "Connections watching events now.")
        cacheEntries = gauge("case_cache", "entries", "Cases held in the case cache.")
        uptime = gauge("uptime", "seconds", "Seconds since this instance started.")
        let poolHelp = "Database connections of the pool."
        poolGauges = (gauge("pool", "connections", poolHelp, [("state", "size")]),
                      gauge("pool", "connections", poolHelp, [("state", "in_use")]),
                      gauge("pool", "connections", poolHelp, [("state", "idle")]),
                      gauge("pool", "waiters", "Work waiting for a database connection."))
        groupCommitCounters = (counter("group_commit_batches", "Group-commit batches committed (PostgreSQL)."),
                               counter("group_commit_changes", "Case changes committed in group-commit batches."),
                               counter("group_commit_spin_hits", "Commit-lane waits that ended while the lane polled without sleeping."),
                               counter("group_commit_retried_alone",
                                       "Case changes committed alone after the statement of their batch failed as a whole."),
                               counter("group_commit_lane_reads", "Client requests a spinning commit lane read itself (Unix socket)."),
                               counter("group_commit_lane_hand_backs",
                                       "Client sockets a commit lane handed back to their event loops unread."))
        groupCommitQueued = gauge("group_commit", "queued", "Case changes waiting for a commit lane.")
    }

    // MARK: - Recording

    /// One request answered: its command (as `CommandService` names it), reply code and time taken.
    public func requestAnswered(command: String, code: Int, duration: Duration) {
        let micros = UInt64(max(0, duration.microseconds))
        let (counter, histogram): (Prometheus.Counter, DurationHistogram) = state.withLock { state in
            if state.commands[command] == nil { state.commands[command] = CommandState(duration: makeDuration(command)) }
            // In place: a copy out of the dictionary and back would copy the
            // whole histogram (kilobytes) on every request.
            return record(code: code, micros: micros, command: command, into: &state.commands[command]!)
        }
        counter.increment()
        histogram.record(duration)
    }

    private func record(code: Int, micros: UInt64, command: String, into figures: inout CommandState)
        -> (Prometheus.Counter, DurationHistogram)
    {
        figures.replies[code, default: 0] += 1
        _ = figures.latency.record(micros)
        figures.totalMicroseconds &+= micros
        if figures.requestCounters[code] == nil { figures.requestCounters[code] = makeRequestCounter(command, code) }
        return (figures.requestCounters[code]!, figures.duration)
    }

    public func connectionAccepted() {
        state.withLock { state in
            state.connectionsAccepted += 1
            state.connectionsOpen += 1
        }
        connectionsAccepted.increment()
        connections.increment()
    }

    public func connectionClosed() {
        state.withLock { $0.connectionsOpen -= 1 }
        connections.decrement()
    }

    public func connectionRefused() {
        state.withLock { $0.connectionsRefused += 1 }
        connectionsRefused.increment()
    }

    /// A case change committed, with the events it wrote; `overdue` when the clock raised it.
    public func changeCommitted(events: Int, overdue: Bool = false) {
        state.withLock { state in
            state.changes += 1
            state.changeEvents += Int64(events)
            if overdue { state.overdueEvents += Int64(events) }
        }
        changes.increment()
        changeEvents.increment(by: Int64(events))
        if overdue { overdueEvents.increment(by: Int64(events)) }
    }

    public func conflict() {
        state.withLock { $0.conflicts += 1 }
        conflicts.increment()
    }

    /// A change's reply was written straight to the socket (see `ReplyShortcut`).
    public func replySentEarly() {
        state.withLock { $0.earlyReplies += 1 }
        earlyReplies.increment()
    }

    /// A store call failed for reasons of the database, not of the request.
    public func storeError(_ code: StoreError.Code) {
        switch code {
        case .conflict, .notFound: return
        case .unavailable:
            state.withLock { $0.storeUnavailable += 1 }
            storeUnavailable.increment()
        default:
            state.withLock { $0.storeFailures += 1 }
            storeFailures.increment()
        }
    }

    // MARK: - Reading

    public func stats(sampling sample: Sample) -> DaemonStats {
        let uptime = Int64((ContinuousClock.now - started).components.seconds)
        return state.withLock { state in
            DaemonStats(
                uptimeSeconds: uptime, connections: state.connectionsOpen,
                connectionsAccepted: state.connectionsAccepted, connectionsRefused: state.connectionsRefused,
                watchers: sample.watchers, changes: state.changes, changeEvents: state.changeEvents,
                earlyReplies: state.earlyReplies,
                overdueEvents: state.overdueEvents, conflicts: state.conflicts,
                storeUnavailable: state.storeUnavailable, storeFailures: state.storeFailures, pool: sample.pool,
                caseCacheEntries: sample.caseCacheEntries, caseCacheHits: sample.caseCacheHits,
                caseCacheMisses: sample.caseCacheMisses, overdueScans: sample.overdueScans,
                overdueScansSkipped: sample.overdueScansSkipped, clusterEvents: sample.clusterEvents,
                commands: state.commands.sorted { $0.key < $1.key }.map { name, figures in
                    DaemonStats.CommandFigures(
                        command: name, replies: figures.replies,
                        p50: figures.latency.valueAtPercentile(50), p90: figures.latency.valueAtPercentile(90),
                        p99: figures.latency.valueAtPercentile(99), max: figures.latency.max,
                        totalMicroseconds: figures.totalMicroseconds)
                })
        }
    }

    /// Prometheus' text exposition format (version 0.0.4), with the sampled
    /// gauges brought up to date first.
    public func prometheusText(sampling sample: Sample) -> String {
        uptime.set(Double((ContinuousClock.now - started).components.seconds))
        watchers.set(Int64(sample.watchers))
        cacheEntries.set(Int64(sample.caseCacheEntries))
        if let pool = sample.pool {
            poolGauges.size.set(Int64(pool.size))
            poolGauges.inUse.set(Int64(pool.inUse))
            poolGauges.idle.set(Int64(pool.idle))
            poolGauges.waiting.set(Int64(pool.waiting))
        }
        // Sampled totals reach Prometheus' counters as the growth since the
        // last scrape; under the lock, so two scrapes at once do not add it twice.
        let sampled: [(Prometheus.Counter, Int64)] = [
            (cacheHits, sample.caseCacheHits), (cacheMisses, sample.caseCacheMisses),
            (connectFailures, Int64(sample.pool?.connectFailures ?? 0)),
            (overdueScans.scanned, sample.overdueScans), (overdueScans.skipped, sample.overdueScansSkipped),
            (clusterEventCounters.sent, sample.clusterEvents?.sent ?? 0),
            (clusterEventCounters.dropped, sample.clusterEvents?.dropped ?? 0),
            (groupCommitCounters.batches, sample.pool?.groupCommit?.batches ?? 0),
            (groupCommitCounters.changes, sample.pool?.groupCommit?.changes ?? 0),
            (groupCommitCounters.spinHits, sample.pool?.groupCommit?.spinHits ?? 0),
            (groupCommitCounters.retriedAlone, sample.pool?.groupCommit?.retriedAlone ?? 0),
            (groupCommitCounters.laneReads, sample.pool?.groupCommit?.laneReads ?? 0),
            (groupCommitCounters.laneHandBacks, sample.pool?.groupCommit?.laneHandBacks ?? 0),
        ]
        let growth = state.withLock { state in
            sampled.map { counter, total in
                let key = ObjectIdentifier(counter)
                let before = state.exported[key] ?? 0
                state.exported[key] = max(before, total)
                return (counter, total - before)
            }
        }
        for (counter, delta) in growth where delta > 0 { counter.increment(by: delta) }
        if let cluster = sample.clusterEvents { clusterEventsQueued.set(cluster.queued) }
        if let group = sample.pool?.groupCommit { groupCommitQueued.set(Int64(group.queued)) }
        return registry.emitToString()
    }

    // MARK: - Collectors made on first use

    private func makeDuration(_ command: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "atmpd", metricName: "request_duration", unitName: "seconds",
                                             helpText: "Time from a request reaching the command service to its reply."),
            labels: [("command", command)], buckets: Self.buckets)
    }

    private func makeRequestCounter(_ command: String, _ code: Int) -> Prometheus.Counter {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "atmpd", metricName: "requests", unitName: "total",
                                             helpText: "Requests answered, by command and reply code."),
            labels: [("command", command), ("code", "\(code)")])
    }
}

extension Duration {
    /// Whole microseconds.
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
