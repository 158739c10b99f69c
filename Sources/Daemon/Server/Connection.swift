import ControlProtocol
import Logging
import NIOCore
import Storage

/// One client connection: its socket, its session, and the rules of the
/// protocol's transport (framing, data blocks, order, watching, closing).
///
/// The request loop (`RequestLoop`) reads and answers requests strictly one
/// after another. Beside it run the watchdog (idle timeout, stalled watcher)
/// and, while the session watches, the event forwarder. Anyone may close the
/// connection from outside with `close(_:)`; `ConnectionControl` makes sure a
/// command in progress is answered first.
final class Connection: Sendable {
    let id: UInt64
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    let transport: Session.Transport
    let configuration: ServerConfiguration
    let control = ConnectionControl()
    let logger: Logger

    init(id: UInt64, channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, transport: Session.Transport,
         configuration: ServerConfiguration, logger: Logger) {
        self.id = id
        self.channel = channel
        self.transport = transport
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "connection"] = "\(id)"
        self.logger = logger
    }

    /// Serves the connection until either side closes it.
    func run(service: CommandService, greeting: Reply, prepare: (inout Session) -> Void = { _ in }) async {
        var session = Session(id: id, transport: transport)
        prepare(&session)
        if configuration.peerAuthentication, case .unix = transport {
            // The OS user of the peer, if it is an enabled ATMP user, is signed
            // in without AUTH; otherwise the session starts unauthenticated.
            _ = await service.authenticatePeer(session: &session)
        }
        logger.debug("connection opened", metadata: ["peer": "\(session.peerDescription)"])
        do {
            try await channel.executeThenClose { inbound, _ in
                // Replies are written to the channel itself (see ReplyWriter), not through the async writer.
                let writer = ReplyWriter(channel: channel.channel)
                let (shortcut, gate) = try await shortcut()
                let direct = directInput(socket: shortcut?.socket, watch: service.store.laneWatch, gate: gate)
                defer {
                    // The lane lets go of the socket before its duplicate is closed.
                    direct?.close()
                    shortcut?.close()
                }
                try await writer.send(greeting)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await self.watchdog() }
                    var loop = RequestLoop(connection: self, service: service, writer: writer, shortcut: shortcut,
                                           direct: direct, gate: gate)
                    defer { group.cancelAll() }
                    do {
                        try await loop.run(inbound, session: &session)
                    } catch {
                        await loop.stopWatching()
                        throw error
                    }
                    await loop.stopWatching()
                }
            }
        } catch {
            // A peer that goes away mid-reply is ordinary; nothing to tell anyone but the debug log.
            logger.debug("connection ended with error", metadata: ["error": "\(error)"])
        }
        logger.debug("connection closed")
    }

    /// The early-reply shortcut and the input gate, for connections on the Unix socket.
    private func shortcut() async throws -> (ReplyShortcut?, NIOLoopBound<InputGate>?) {
        guard case .unix = transport else { return (nil, nil) }
        let channel = self.channel.channel
        return try await channel.eventLoop.submit {
            let gate = try? channel.pipeline.syncOperations.handler(type: InputGate.self)
            return (ReplyShortcut.make(for: channel), gate.map { NIOLoopBound($0, eventLoop: channel.eventLoop) })
        }.get()
    }

    /// Reading by a spinning commit lane, where the store has lanes and the
    /// connection a socket of its own to read (`DirectInput`).
    private func directInput(socket: Int32?, watch: LaneWatch?, gate: NIOLoopBound<InputGate>?) -> DirectInput? {
        guard configuration.laneReadsRequests, let socket, let watch, gate != nil else { return nil }
        let direct = DirectInput(watch: watch, socket: socket, id: id)
        // A close from anywhere (idle timeout, shutdown, the peer) ends a lane's wait.
        channel.channel.closeFuture.whenComplete { _ in direct.close() }
        return direct
    }

    /// Closes the connection on the server's initiative: at once if no command
    /// is in progress (or the reason does not wait), else right after it is answered.
    func close(_ reason: CloseReason) {
        if control.requestClose(reason) {
            logger.debug("closing connection", metadata: ["reason": "\(reason)"])
            closeNow(sending: reason.reply)
        }
    }

    /// Sends one closing line straight to the channel and closes it once that
    /// is written, or after `closingGrace` if the peer does not read.
    func closeNow(sending reply: Reply) {
        Self.closeNow(channel.channel, sending: reply, grace: configuration.closingGrace)
    }

    static func closeNow(_ channel: Channel, sending reply: Reply, grace: Duration) {
        channel.writeAndFlush(ReplyWriter.buffer(reply, allocator: channel.allocator)).whenComplete { _ in
            channel.close(promise: nil)
        }
        channel.eventLoop.scheduleTask(in: TimeAmount(grace)) { channel.close(promise: nil) }
    }

    /// Looks at the idle and stall limits every `watchdogInterval` until cancelled.
    private func watchdog() async {
        while true {
            do { try await Task.sleep(for: configuration.watchdogInterval) } catch { return }
            if let reason = control.overdueReason(
                now: .now, idleTimeout: configuration.idleTimeout, stallTimeout: configuration.watchStallTimeout)
            {
                if reason == .slowWatcher { logger.warning("cutting off a watcher that stopped reading") }
                close(reason)
            }
        }
    }
}
