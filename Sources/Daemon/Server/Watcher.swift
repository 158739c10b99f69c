import Synchronization
import ControlProtocol
import NIOCore

/// Carries one WATCH subscription's events to the connection as `650 event` lines.
///
/// It writes beside the request loop (a whole line per write, so never inside
/// a reply). A watcher that falls behind is cut off, never waited for: if the
/// hub's backlog for it overflows, the forwarder closes the connection; if a
/// write hangs because the peer stopped reading, the connection's watchdog
/// sees the stall and closes it.
final class Watcher: Sendable {
    let subscription: EventHub.Subscription
    private let connection: Connection
    private let writer: ReplyWriter
    private let forwarder: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(connection: Connection, subscription: EventHub.Subscription, writer: ReplyWriter) {
        self.connection = connection
        self.subscription = subscription
        self.writer = writer
    }

    /// Starts delivering (once; after the WATCH reply has been sent).
    func startForwarding() {
        forwarder.withLock { task in
            guard task == nil else { return }
            task = Task { [subscription, connection, writer] in
                for await published in subscription.events {
                    connection.control.eventWriteStarted()
                    defer { connection.control.eventWriteFinished() }
                    do {
                        try await writer.send(published.watchEvent.reply)
                    } catch {
                        return
                    }
                }
                if subscription.overflowed {
                    connection.logger.warning("cutting off a watcher that fell behind")
                    connection.close(.slowWatcher)
                }
            }
        }
    }

    /// Stops watching and waits until no event write is in flight.
    func stop() async {
        let task = forwarder.withLock { $0 }
        task?.cancel()
        subscription.cancel()
        await task?.value
    }
}
