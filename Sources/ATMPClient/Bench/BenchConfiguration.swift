/// What `atmpctl bench` was asked to do, checked before anything connects.
public struct BenchConfiguration: Sendable, Hashable {
    /// Connections, each on its own OS thread.
    public var connections: Int
    /// How long to advance cases, after they are opened.
    public var duration: Duration
    /// Cases opened before the run; case `i` belongs to connection `i % connections`.
    public var cases: Int
    /// Requests each connection keeps in flight.
    public var pipeline: Int

    public static let maxConnections = 1024
    public static let maxPipeline = 256
    public static let maxCases = 1_000_000

    /// Checks the figures; a usage error names the option at fault.
    /// `cases` nil means the default: `connections × max(4, pipeline)`.
    public init(connections: Int, duration: Duration, cases: Int? = nil, pipeline: Int = 1) throws(ClientError) {
        guard (1...Self.maxConnections).contains(connections) else {
            throw .usage("--connections must be from 1 to \(Self.maxConnections), not \(connections)")
        }
        guard duration > .zero else { throw .usage("--duration must be more than 0 seconds") }
        guard (1...Self.maxPipeline).contains(pipeline) else {
            throw .usage("--pipeline must be from 1 to \(Self.maxPipeline), not \(pipeline)")
        }
        let cases = cases ?? connections * max(4, pipeline)
        guard cases >= connections else {
            throw .usage("--cases \(cases) is fewer than --connections \(connections): every connection needs a case of its own")
        }
        // Never two requests in flight for one case: a connection's cases
        // must outnumber its pipeline.
        guard cases >= connections * pipeline else {
            throw .usage("--pipeline \(pipeline) needs at least \(pipeline) cases per connection (--cases ≥ \(connections * pipeline))")
        }
        guard cases <= Self.maxCases else { throw .usage("--cases must be at most \(Self.maxCases), not \(cases)") }
        self.connections = connections
        self.duration = duration
        self.cases = cases
        self.pipeline = pipeline
    }

    /// The case numbers (0-based, in opening order) connection `k` owns: every
    /// `i` with `i % connections == k`, so the cases split evenly.
    public func caseNumbers(ownedBy connection: Int) -> [Int] {
        Array(stride(from: connection, to: cases, by: connections))
    }
}
