import Histogram

/// Latency figures in microseconds, from send to complete reply.
public struct LatencySummary: Sendable, Hashable {
    public var count: UInt64
    public var p50: UInt64
    public var p99: UInt64
    public var p999: UInt64
    public var max: UInt64

    public init(count: UInt64, p50: UInt64, p99: UInt64, p999: UInt64, max: UInt64) {
        self.count = count
        self.p50 = p50
        self.p99 = p99
        self.p999 = p999
        self.max = max
    }

    /// From a histogram of microseconds; percentiles are HdrHistogram's
    /// (3 significant digits), the maximum is the largest value recorded.
    public init(_ histogram: Histogram<UInt64>) {
        guard histogram.totalCount > 0 else {
            self.init(count: 0, p50: 0, p99: 0, p999: 0, max: 0)
            return
        }
        self.init(count: histogram.totalCount, p50: histogram.valueAtPercentile(50),
                  p99: histogram.valueAtPercentile(99), p999: histogram.valueAtPercentile(99.9),
                  max: histogram.maxRecorded)
    }
}

/// What one connection did during the run.
public struct ConnectionOutcome: Sendable {
    /// Changes answered `250`.
    public var acknowledged = 0
    /// Every reply by code, `250` included.
    public var replies: [Int: Int] = [:]
    /// Send-to-reply times of every reply, in microseconds.
    public var latency = BenchHistogram.make()
    /// Why the connection stopped early, if it did.
    public var failure: ClientError?
    /// From the common start to this connection's last reply.
    public var busy: Duration = .zero

    public init() {}
}

public enum BenchHistogram {
    /// Microseconds up to an hour, 3 significant digits.
    public static func make() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    }
}

/// The figures of a whole run: every connection's outcome merged.
public struct BenchResult: Sendable, Hashable {
    public var connections: Int
    public var cases: Int
    public var pipeline: Int
    /// The duration asked for.
    public var duration: Duration
    /// From the start to the last reply of the last connection (the asked
    /// duration plus the replies still in flight at its end).
    public var elapsed: Duration
    /// Connecting, signing in and opening the cases.
    public var setup: Duration
    /// Changes answered `250`.
    public var acknowledged: Int
    /// Replies by code, `250` included.
    public var replies: [Int: Int]
    public var latency: LatencySummary
    /// The connections that failed during the run, in connection order.
    public var failures: [ConnectionFailure]

    public init(connections: Int, cases: Int, pipeline: Int, duration: Duration, elapsed: Duration, setup: Duration,
                acknowledged: Int, replies: [Int: Int], latency: LatencySummary, failures: [ConnectionFailure]) {
        self.connections = connections
        self.cases = cases
        self.pipeline = pipeline
        self.duration = duration
        self.elapsed = elapsed
        self.setup = setup
        self.acknowledged = acknowledged
        self.replies = replies
        self.latency = latency
        self.failures = failures
    }

    /// Merges the outcomes of a run of `configuration` (outcome `k` is connection `k`'s).
    public init(_ configuration: BenchConfiguration, outcomes: [ConnectionOutcome], setup: Duration) {
        var merged = BenchHistogram.make()
        var replies: [Int: Int] = [:]
        var failures: [ConnectionFailure] = []
        for (k, outcome) in outcomes.enumerated() {
            merged.add(outcome.latency)
            replies.merge(outcome.replies, uniquingKeysWith: +)
            if let failure = outcome.failure { failures.append(ConnectionFailure(connection: k, error: failure)) }
        }
        self.init(connections: configuration.connections, cases: configuration.cases, pipeline: configuration.pipeline,
                  duration: configuration.duration, elapsed: outcomes.map(\.busy).max() ?? .zero, setup: setup,
                  acknowledged: outcomes.reduce(0) { $0 + $1.acknowledged }, replies: replies,
                  latency: LatencySummary(merged), failures: failures)
    }

    /// Acknowledged changes per second of `elapsed`.
    public var changesPerSecond: Double {
        let seconds = elapsed.seconds
        return seconds > 0 ? Double(acknowledged) / seconds : 0
    }

    /// Replies other than `250`.
    public var refused: Int { replies.filter { $0.key != 250 }.values.reduce(0, +) }

    /// `connection K: WHY` for each failed connection.
    public var errors: [String] { failures.map(\.description) }

    /// Every request acknowledged and no connection lost.
    public var clean: Bool { refused == 0 && failures.isEmpty }

    /// 0 when clean; else the first lost connection's status (docs/atmpctl.md),
    /// else 1 for refused requests.
    public var exitStatus: Int32 {
        if let first = failures.first { return ExitStatusMapping.status(for: first.error) }
        return refused > 0 ? ExitStatusMapping.refused : ExitStatusMapping.success
    }
}

/// A connection that stopped before the end of the run, and why.
public struct ConnectionFailure: Sendable, Hashable, CustomStringConvertible {
    public var connection: Int
    public var error: ClientError

    public init(connection: Int, error: ClientError) {
        self.connection = connection
        self.error = error
    }

    public var description: String { "connection \(connection): \(error)" }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Whole microseconds, at least 0.
    var microseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }
}
