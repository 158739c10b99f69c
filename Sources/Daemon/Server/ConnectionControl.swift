import ControlProtocol
import Synchronization

/// Why the server closes a connection on its own initiative, and the line it says so with.
enum CloseReason: Sendable, Equatable {
    case shuttingDown
    case idleTimeout
    case slowWatcher

    /// Whether the close waits for the command in progress to finish and be
    /// answered. A slow watcher is cut at once: its reply could never be written anyway.
    var waitsForCommand: Bool { self != .slowWatcher }

    var reply: Reply {
        switch self {
        case .shuttingDown: return .error(ProtocolError(.shuttingDown, "server shutting down"))
        case .idleTimeout: return .error(ProtocolError(.idleTimeout, "closing idle connection"))
        case .slowWatcher: return .error(ProtocolError(.watchOverflow, "watcher fell behind; events were dropped"))
        }
    }
}

extension ErrorKey {
    /// 421 for a watcher cut off because it did not keep up (this project's key, see docs/daemon.md).
    static let watchOverflow = ErrorKey(rawValue: "watch-overflow", code: .closing)
}

/// The state one connection shares between its request loop and whoever may
/// close it from outside (its watchdog, the server shutting down): whether a
/// command is in progress, and whether a close was asked for.
///
/// The rule it enforces: a close that waits for commands never interrupts one;
/// the request loop sees it when the command is answered and closes then.
final class ConnectionControl: Sendable {
    private struct State {
        var busy = false
        var closing: CloseReason?
        var lastActivity: ContinuousClock.Instant
        var watching = false
        /// When the event write now in progress started, if one is.
        var eventWriteStarted: ContinuousClock.Instant?
    }
    private let state: Mutex<State>

    init() { state = Mutex(State(lastActivity: .now)) }

    /// Called before a command: false once a close is under way (stop reading).
    func beginCommand() -> Bool {
        state.withLock { state in
            guard state.closing == nil else { return false }
            state.busy = true
            state.lastActivity = .now
            return true
        }
    }

    /// Called after a command's reply went out: the close asked for meanwhile, if any.
    func endCommand() -> CloseReason? {
        state.withLock { state in
            state.busy = false
            state.lastActivity = .now
            return state.closing
        }
    }

    /// Any line at all counts as activity (also refused ones).
    func touch() { state.withLock { $0.lastActivity = .now } }

    func setWatching(_ watching: Bool) { state.withLock { $0.watching = watching } }

    func eventWriteStarted() { state.withLock { $0.eventWriteStarted = .now } }
    func eventWriteFinished() { state.withLock { $0.eventWriteStarted = nil } }

    var closing: CloseReason? { state.withLock { $0.closing } }

    /// Asks for a close. Returns true when the caller must close the
    /// connection now; false when it is already closing, or when the request
    /// loop will close it once its command is answered.
    func requestClose(_ reason: CloseReason) -> Bool {
        state.withLock { state in
            guard state.closing == nil else { return false }
            state.closing = reason
            return !(state.busy && reason.waitsForCommand)
        }
    }

    /// What the watchdog should close the connection for at `now`, if anything.
    func overdueReason(now: ContinuousClock.Instant, idleTimeout: Duration, stallTimeout: Duration) -> CloseReason? {
        state.withLock { state in
            if let started = state.eventWriteStarted, now - started >= stallTimeout { return .slowWatcher }
            if !state.busy && !state.watching && now - state.lastActivity >= idleTimeout { return .idleTimeout }
            return nil
        }
    }
}
