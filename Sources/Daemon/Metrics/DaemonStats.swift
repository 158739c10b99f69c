import ControlProtocol
import Storage

/// Everything one atmpd instance counts, at one moment: what STATS answers
/// and what the metrics endpoint exposes. A plain value, so its rendering is
/// tested without a server.
///
/// Counters run from the instance's start; they are per instance, not per
/// database (several instances on one database each count their own).
public struct DaemonStats: Sendable, Equatable {
    /// One command's requests since start.
    public struct CommandFigures: Sendable, Equatable {
        /// `"CASE ADVANCE"`; `unknown` for verbs the server does not know and
        /// `unparsed` for lines that were not a request at all.
        public var command: String
        /// Replies by code (250, 450, 553, …).
        public var replies: [Int: Int64]
        /// Time from the request's arrival at the command service to its reply
        /// being ready, in microseconds (HdrHistogram, 2 significant digits).
        public var p50: UInt64
        public var p90: UInt64
        public var p99: UInt64
        public var max: UInt64
        public var totalMicroseconds: UInt64

        public var count: Int64 { replies.values.reduce(0, +) }
        /// Replies that were not a success.
        public var errors: Int64 { replies.filter { $0.key != 250 }.values.reduce(0, +) }
    }

    /// Events this instance announced to the others on its PostgreSQL database.
    public struct ClusterEvents: Sendable, Equatable {
        public var sent: Int64
        public var dropped: Int64
        public var queued: Int64
        public init(sent: Int64, dropped: Int64, queued: Int64) {
            self.sent = sent; self.dropped = dropped; self.queued = queued
        }
    }

    public var uptimeSeconds: Int64
    /// Open control connections, accepted ones since start, and ones refused with 452.
    public var connections: Int
    public var connectionsAccepted: Int64
    public var connectionsRefused: Int64
    /// Connections watching right now.
    public var watchers: Int
    /// Case changes committed (CASE OPEN and every other change), and the
    /// audit events they wrote.
    public var changes: Int64
    public var changeEvents: Int64
    /// Replies to changes written straight to the Unix socket once the change
    /// was durable (see ReplyShortcut): by the commit lane for a change
    /// committed alone, else by the event loop without passing through NIO.
    public var earlyReplies: Int64 = 0
    /// `case.overdue` events raised by this instance's clock.
    public var overdueEvents: Int64
    /// Commits refused because the case had moved on (an `expect=` mismatch or
    /// a concurrent change), retried ones included.
    public var conflicts: Int64
    /// Store calls that failed for the database's reasons: `unavailable`
    /// (answered 451) and other failures (logged at error level).
    public var storeUnavailable: Int64
    public var storeFailures: Int64
    public var pool: PoolStatus?
    public var caseCacheEntries: Int
    public var caseCacheHits: Int64
    public var caseCacheMisses: Int64
    public var overdueScans: Int64
    public var overdueScansSkipped: Int64
    /// nil on SQLite and with cluster events off.
    public var clusterEvents: ClusterEvents?
    /// Per command, sorted by name.
    public var commands: [CommandFigures]

    public var requests: Int64 { commands.reduce(0) { $0 + $1.count } }

    /// The STATS reply's records: one `stats`, one `pool` (when the store
    /// has a pool), one `command` per command seen. Field names are this
    /// project's extension of the protocol (docs/protocol.md).
    public var records: [ReplyRecord] {
        var stats: [Field] = [
            Field("uptime", "\(uptimeSeconds)"),
            Field("requests", "\(requests)"),
            Field("connections", "\(connections)"),
            Field("connections-accepted", "\(connectionsAccepted)"),
            Field("connections-refused", "\(connectionsRefused)"),
            Field("watchers", "\(watchers)"),
            Field("changes", "\(changes)"),
            Field("change-events", "\(changeEvents)"),
            Field("early-replies", "\(earlyReplies)"),
            Field("overdue-events", "\(overdueEvents)"),
            Field("overdue-scans", "\(overdueScans)"),
            Field("overdue-scans-skipped", "\(overdueScansSkipped)"),
            Field("conflicts", "\(conflicts)"),
            Field("store-unavailable", "\(storeUnavailable)"),
            Field("store-failures", "\(storeFailures)"),
        ]
        stats += [
            Field("case-cache", "\(caseCacheEntries)"),
            Field("case-cache-hits", "\(caseCacheHits)"),
            Field("case-cache-misses", "\(caseCacheMisses)"),
        ]
        var records = [ReplyRecord("stats", fields: stats)]
        if let pool {
            records.append(ReplyRecord("pool", fields: [
                Field("size", "\(pool.size)"), Field("open", "\(pool.open)"), Field("in-use", "\(pool.inUse)"),
                Field("idle", "\(pool.idle)"), Field("waiting", "\(pool.waiting)"),
                Field("connect-failures", "\(pool.connectFailures)"),
            ]))
            if let group = pool.groupCommit {
                records.append(ReplyRecord("group-commit", fields: [
                    Field("lanes", "\(group.lanes)"), Field("lanes-running", "\(group.lanesRunning)"),
                    Field("queued", "\(group.queued)"), Field("batches", "\(group.batches)"),
                    Field("changes", "\(group.changes)"), Field("largest-batch", "\(group.largestBatch)"),
                    Field("spin-us", "\(group.spinMicroseconds)"), Field("spin-hits", "\(group.spinHits)"),
                    Field("retried-alone", "\(group.retriedAlone)"),
                    Field("lane-reads", "\(group.laneReads)"), Field("lane-hand-backs", "\(group.laneHandBacks)"),
                ]))
            }
        }
        if let clusterEvents {
            records.append(ReplyRecord("cluster-events", fields: [
                Field("sent", "\(clusterEvents.sent)"), Field("dropped", "\(clusterEvents.dropped)"),
                Field("queued", "\(clusterEvents.queued)"),
            ]))
        }
        for figures in commands {
            let codes = figures.replies.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }
            records.append(ReplyRecord("command", fields: [
                Field("name", figures.command), Field("count", "\(figures.count)"), Field("errors", "\(figures.errors)"),
                Field("replies", codes.joined(separator: ",")),
                Field("p50-us", "\(figures.p50)"), Field("p90-us", "\(figures.p90)"), Field("p99-us", "\(figures.p99)"),
                Field("max-us", "\(figures.max)"),
                Field("mean-us", "\(figures.count == 0 ? 0 : figures.totalMicroseconds / UInt64(figures.count))"),
            ]))
        }
        return records
    }
}
