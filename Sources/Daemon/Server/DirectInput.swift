import Storage
import Synchronization

/// A connection's socket read by a spinning commit lane (`LaneWatch`) rather
/// than by NIO: while one client sends change after change, its next request
/// is read and served on the lane, and its event loop is not woken for it
/// (docs/performance.md). `ConnectionInput` decides when; this class keeps
/// the one wait at a time and its ending.
///
/// Why it cannot lose or reorder bytes:
/// - NIO does not read the socket meanwhile: the request loop shuts the
///   connection's `InputGate` first, on the event loop, and only when the
///   loop has taken everything NIO read before.
/// - The lane reads only while the socket is watched, and hands back — reads
///   nothing — once the peer has shut down its writing: NIO, which reads
///   then whatever its gate says, reads the rest and the end itself.
/// - `close` withdraws the watch before the socket (the early-reply
///   shortcut's duplicate) is closed, so the lane never reads a socket
///   number reused by another connection.
final class DirectInput: Sendable {
    private struct State {
        var waiting: CheckedContinuation<LaneWatch.Wake, Never>?
        var closed = false
    }
    private let state = Mutex(State())
    private let watch: LaneWatch
    private let socket: Int32
    private let id: UInt64

    init(watch: LaneWatch, socket: Int32, id: UInt64) {
        self.watch = watch
        self.socket = socket
        self.id = id
    }

    /// A lane spins now and would read for us (a hint).
    var laneSpins: Bool { watch.isAccepting }

    /// What the lane read next, or `.handBack` when it will not read (any
    /// more): the lane stopped spinning, the peer closed, the connection closed.
    func next() async -> LaneWatch.Wake {
        await withCheckedContinuation { continuation in
            let watched = state.withLock { s -> Bool in
                guard !s.closed else { return false }
                s.waiting = continuation
                // Inside the lock: a `close` now or later withdraws this watch.
                guard watch.watch(socket, id: id, handler: { [self] wake in resume(with: wake) }) else {
                    s.waiting = nil
                    return false
                }
                return true
            }
            if !watched { continuation.resume(returning: .handBack) }
        }
    }

    private func resume(with wake: LaneWatch.Wake) {
        let waiting = state.withLock { s in
            defer { s.waiting = nil }
            return s.waiting
        }
        waiting?.resume(returning: wake)
    }

    /// The channel closed, or the request loop ended: nothing is read for
    /// this connection any more; a wait ends with `.handBack`.
    func close() {
        let waiting = state.withLock { s in
            s.closed = true
            watch.withdraw(id: id)
            defer { s.waiting = nil }
            return s.waiting
        }
        waiting?.resume(returning: .handBack)
    }
}
