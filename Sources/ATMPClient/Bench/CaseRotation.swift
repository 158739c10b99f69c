/// One connection's cases and what it believes their states are: it hands
/// them out round-robin, skipping any case with a request still in flight,
/// so a case never has two changes racing (which would be a 450, not load).
///
/// Pure and single-threaded: each connection's thread owns its rotation.
public struct CaseRotation: Sendable {
    public struct Entry: Sendable, Hashable {
        public var id: String
        public var state: String
        public var inFlight = false

        public init(id: String, state: String) {
            self.id = id
            self.state = state
        }
    }

    public private(set) var entries: [Entry]
    private var cursor = 0

    public init(_ entries: [Entry]) { self.entries = entries }

    /// The next case to advance and the transition that keeps it looping, or
    /// nil when every case is in flight or in a state the loop does not know.
    /// Marks the case in flight.
    public mutating func next() -> (index: Int, id: String, transition: String)? {
        for step in 0..<entries.count {
            let index = (cursor + step) % entries.count
            guard !entries[index].inFlight, let transition = BenchLoop.transition(from: entries[index].state) else {
                continue
            }
            cursor = (index + 1) % entries.count
            entries[index].inFlight = true
            return (index, entries[index].id, transition)
        }
        return nil
    }

    /// The change was acknowledged: the case is now in `state` (the reply's
    /// `state=`, else where the transition leads).
    public mutating func acknowledged(_ index: Int, transition: String, state: String?) {
        entries[index].inFlight = false
        if let state = state ?? BenchLoop.target(of: transition) { entries[index].state = state }
    }

    /// The change was refused: the case stays where it was believed to be.
    public mutating func refused(_ index: Int) {
        entries[index].inFlight = false
    }

    public var inFlightCount: Int { entries.count(where: \.inFlight) }
}
