import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Client sockets that the commit lane reads on the daemon's behalf.
///
/// Why: while one client sends change after change, a lane polls its
/// session's socket without sleeping (`CommitLanes`), and its processor is
/// otherwise idle; the client's next request, meanwhile, had to wake an event
/// loop — on the processor the client and PostgreSQL's backend also need —
/// costing about half of that loop's work per change (docs/performance.md).
/// And under load, each change crossed between the lane and an event loop
/// twice (the request's change to the lane, its outcome back), each crossing
/// a wake-up. So the lane, while it is the only one running, polls the
/// sockets watched here beside its session's — spinning or asleep in
/// poll(2) — reads what arrives and hands the bytes to their owner's task,
/// which runs on the lane (`JobAdoption`); the event loops sleep on.
///
/// The owner (the daemon's connection) must keep NIO from reading the socket
/// meanwhile and take reading back when handed back. Rules:
/// - A socket is watched only while a lane accepts watches (`watch` says
///   false otherwise); when the lane stops accepting (a second lane runs),
///   ends, or loses its session, everything watched is handed back.
/// - A lane asleep in poll(2) over the watched sockets is woken when one is
///   added (`watchedWhileAsleep`), so that it polls that one too.
/// - One watch, one answer: the handler is called once, with the bytes read
///   or `.handBack`, unless `withdraw` returned true first.
/// - The lane reads only while it holds the lock, and only a socket still
///   watched: once `withdraw` has returned, the lane will not read the
///   socket again, so its owner may close it. (A poll already under way may
///   still look at the number once; what it finds there is not read.)
/// - A socket that shows end of input, a hang-up or an error is handed back
///   unread: its owner's NIO channel reads the end itself. Once the peer
///   has shut down its writing NIO reads whatever its owner says, so bytes
///   the lane read are marked when the end showed right after
///   (`endFollows`): NIO may have read some of the same input around them.
public final class LaneWatch: Sendable {
    public enum Wake: Sendable, Equatable {
        /// What the socket held, in order. `endFollows`: the peer had shut
        /// down its writing, or the socket failed, by the time the lane had
        /// read them — NIO reads from then on, whatever its owner says.
        case bytes([UInt8], endFollows: Bool)
        /// Read it yourself from now on.
        case handBack
    }
    public typealias Handler = @Sendable (Wake) -> Void

    private struct Entry {
        let socket: Int32
        let handler: Handler
    }
    private struct State {
        var accepting = false
        var entries: [UInt64: Entry] = [:]
        /// Set while the lane sleeps in poll(2) over the watched sockets:
        /// how to wake it when one is added.
        var wakeSleepingLane: (@Sendable () -> Void)?
        /// A socket has been watched at least once: the daemon lets the lane
        /// read its clients (`--lane-reads`).
        var everWatched = false
        /// What the lane reads into, under the lock.
        var scratch = [UInt8](repeating: 0, count: LaneWatch.readSize)
    }
    private let state = Mutex(State())
    /// Bumped on every change of the entries, so a lane rebuilds its poll
    /// set only then.
    private let version = Atomic<UInt64>(0)
    /// At most this much is read per wake-up; the rest waits for the next poll.
    static let readSize = 65_536
    /// Wake-ups that brought bytes, and watches handed back unread.
    private let reads = Atomic<Int64>(0)
    private let handBacks = Atomic<Int64>(0)
    var counts: (reads: Int64, handBacks: Int64) {
        (reads.load(ordering: .relaxed), handBacks.load(ordering: .relaxed))
    }

    /// At most this many sockets are watched at once; more are left to NIO.
    /// The lane polls every watched socket each time it waits, so the cost
    /// of a wait grows with their number (idle connections included).
    let maxWatched: Int

    public init(maxWatched: Int = 64) {
        self.maxWatched = maxWatched
    }

    /// Asks the lane to read `socket` when it becomes readable and call
    /// `handler` with what it read (on the lane thread, where the job the
    /// handler resumes runs too). False when no lane takes watches now, or
    /// `maxWatched` sockets are watched already: read it yourself.
    public func watch(_ socket: Int32, id: UInt64, handler: @escaping Handler) -> Bool {
        let (watched, wake) = state.withLock { s -> (Bool, (@Sendable () -> Void)?) in
            guard s.accepting, s.entries.count < maxWatched || s.entries[id] != nil else { return (false, nil) }
            s.entries[id] = Entry(socket: socket, handler: handler)
            s.everWatched = true
            version.add(1, ordering: .releasing)
            // Once: the lane, woken, polls anew (and says so again).
            defer { s.wakeSleepingLane = nil }
            return (true, s.wakeSleepingLane)
        }
        wake?()
        return watched
    }

    /// Stops watching; true when it was still watched (its handler will not
    /// be called). Once this has returned, the lane no longer reads the socket.
    @discardableResult
    public func withdraw(id: UInt64) -> Bool {
        state.withLock { s in
            guard s.entries.removeValue(forKey: id) != nil else { return false }
            version.add(1, ordering: .releasing)
            return true
        }
    }

    /// A lane takes watches now (a hint: it may stop any moment).
    public var isAccepting: Bool { state.withLock { $0.accepting } }

    /// A lane takes watches now, and clients have been given to it before:
    /// the lane serves the daemon's clients (a hint, like `isAccepting`).
    var readsClients: Bool { state.withLock { $0.accepting && $0.everWatched } }

    // MARK: - The lane

    /// The lane reads client sockets: they may be watched.
    func startAccepting() {
        state.withLock { $0.accepting = true }
    }

    /// The lane stops reading client sockets: no more watching, and
    /// everything watched is handed back to its owner.
    func handBackAll() {
        let handlers = state.withLock { s -> [Handler] in
            s.accepting = false
            s.wakeSleepingLane = nil
            guard !s.entries.isEmpty else { return [] }
            defer {
                s.entries = [:]
                version.add(1, ordering: .releasing)
            }
            return s.entries.values.map(\.handler)
        }
        handBacks.add(Int64(handlers.count), ordering: .relaxed)
        for handler in handlers { handler(.handBack) }
    }

    var currentVersion: UInt64 { version.load(ordering: .acquiring) }

    /// The watched sockets, for poll(2).
    func watched() -> [(id: UInt64, socket: Int32)] {
        state.withLock { s in s.entries.map { ($0.key, $0.value.socket) } }
    }

    /// The watched sockets, for a poll(2) that may sleep: a socket watched
    /// from now until `awake` calls `wake` (once), so that the lane polls
    /// it too. Taken under one lock with the list, so none slips between.
    func watchedWhileAsleep(wake: @escaping @Sendable () -> Void) -> [(id: UInt64, socket: Int32)] {
        state.withLock { s in
            s.wakeSleepingLane = wake
            return s.entries.map { ($0.key, $0.value.socket) }
        }
    }

    /// The lane's poll(2) is over.
    func awake() {
        state.withLock { $0.wakeSleepingLane = nil }
    }

    /// The watched sockets that poll(2) found ready: reads each one still
    /// watched, then calls its handler inside `JobAdoption.adopting`, so the
    /// owner's task goes on here.
    func serve(_ ready: [(id: UInt64, revents: Int16)]) {
        var answers: [(Handler, Wake)] = []
        state.withLock { s in
            for (id, revents) in ready {
                guard let entry = s.entries[id] else { continue }  // withdrawn since the poll
                guard let wake = Self.read(entry.socket, revents: revents, into: &s.scratch) else { continue }  // nothing after all
                s.entries[id] = nil
                answers.append((entry.handler, wake))
            }
            if !answers.isEmpty { version.add(1, ordering: .releasing) }
        }
        for (handler, wake) in answers {
            if wake == .handBack { handBacks.add(1, ordering: .relaxed) } else { reads.add(1, ordering: .relaxed) }
            JobAdoption.adopting { handler(wake) }
        }
    }

    /// What a ready socket gives: bytes, `.handBack` (end of input, hang-up,
    /// error: for NIO to see), or nil (nothing to read after all).
    private static func read(_ socket: Int32, revents: Int16, into scratch: inout [UInt8]) -> Wake? {
        if Int32(revents) & (pollReadHangUp | POLLHUP | POLLERR | POLLNVAL) != 0 { return .handBack }
        let count = scratch.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if count > 0 {
            let bytes = Array(scratch[..<count])
            return .bytes(bytes, endFollows: endShows(socket))
        }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return nil }
        return .handBack
    }
}

/// Whether `socket` shows end of input, a hang-up or an error now (seen
/// right after a read, the end came after what was read, or with it). A
/// poll that fails for another reason than a signal counts as an end: the
/// owner then waits for NIO, which sees the same socket, to close it.
private func endShows(_ socket: Int32) -> Bool {
    while true {
        var after = pollfd(fd: socket, events: Int16(pollReadHangUp), revents: 0)
        let ready = poll(&after, 1, 0)
        if ready < 0 && errno == EINTR { continue }
        if ready < 0 { return true }
        return ready > 0 && Int32(after.revents) & (pollReadHangUp | POLLHUP | POLLERR | POLLNVAL) != 0
    }
}

/// POLLRDHUP (Linux): the peer shut down its writing. Glibc's module does not export it.
let pollReadHangUp: Int32 = 0x2000
