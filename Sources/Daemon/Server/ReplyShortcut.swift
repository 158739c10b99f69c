import ControlProtocol
import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A change's reply written straight to the client's socket by the thread
/// that learnt the change is durable (a commit lane), instead of by the event
/// loop once the request's task has been resumed. That hand-over — wake the
/// loop, resume the task, write — took about 50 µs of every lone change's
/// latency on the development machine (docs/performance.md).
///
/// Why this cannot mix up bytes:
/// - The request loop offers it only while no write of the connection waits
///   in NIO (`ReplyWriter.idle`), and never while the session watches (events
///   would be written beside it).
/// - During the command nothing else writes: a close waits for the command in
///   progress to be answered (`ConnectionControl`; only a slow watcher is cut
///   at once, and a watching session gets no shortcut).
/// - The reply goes out whole or the rest follows from the request loop, in
///   order, before anything else (`takeSent`).
/// - The socket is a duplicate of the channel's, closed only after the
///   request loop has ended, so it can never name another connection's socket
///   after NIO closed the channel's.
///
/// Only for the Unix socket, where bytes go to the kernel as they are (on TCP
/// a TLS handler may sit in the pipeline).
final class ReplyShortcut: EarlyReplies {
    private struct State {
        var socket: Int32
        /// The reply prepared for the current command, and how much of it went out.
        var prepared: [UInt8]?
        var sent = 0
        /// Counts prepared replies. A durable-hook that runs late — after its
        /// command was answered the slow way — must not send the next one.
        var generation: UInt64 = 0
    }
    private let state: Mutex<State>

    private init(socket: Int32) { state = Mutex(State(socket: socket)) }

    /// For a channel of the Unix socket; on its event loop. Nil when the
    /// socket cannot be had.
    static func make(for channel: any Channel) -> ReplyShortcut? {
        let socket = try? channel.pipeline.syncOperations.withUnsafeTransportIfAvailable(
            of: NIOBSDSocket.Handle.self) { fcntl($0, F_DUPFD_CLOEXEC, 0) }
        guard let socket = socket ?? nil, socket >= 0 else { return nil }
        return ReplyShortcut(socket: socket)
    }

    /// The duplicate socket (-1 once closed): `DirectInput` reads it too.
    var socket: Int32 { state.withLock { $0.socket } }

    func whenDurable(send reply: Reply) -> @Sendable () -> Void {
        let bytes = ReplyWriter.encoded(reply)
        let generation = state.withLock { s in
            s.generation += 1
            s.prepared = bytes
            s.sent = 0
            return s.generation
        }
        return { [self] in write(generation) }
    }

    /// On the commit lane: as much of the prepared reply as the socket takes
    /// now, without waiting — unless the request loop took it already.
    private func write(_ generation: UInt64) {
        state.withLock { s in
            guard s.socket >= 0, s.generation == generation, let bytes = s.prepared, s.sent == 0 else { return }
            let written = bytes.withUnsafeBytes { raw in
                send(s.socket, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            s.sent = max(0, written)
        }
    }

    /// After the command: the prepared reply and how many of its bytes went
    /// out (0 when none was prepared, the socket took nothing, or the lane
    /// has not come to it yet: it will not any more); forgets both.
    func takeSent() -> (bytes: [UInt8], sent: Int)? {
        state.withLock { s in
            defer {
                s.prepared = nil
                s.sent = 0
            }
            return s.prepared.map { ($0, s.sent) }
        }
    }

    /// Closes the duplicate socket; once the request loop has ended.
    func close() {
        state.withLock { s in
            if s.socket >= 0 { Glibc.close(s.socket) }
            s.socket = -1
        }
    }
}
