import ControlProtocol
import Logging
import NIOCore

/// Reads one connection's requests and answers them strictly in order.
///
/// Bytes are cut into bounded lines (`LineFramer`); a `+` request's lines are
/// collected into its data block (`DataBlockReader`) before it runs. Reading
/// ahead is fine — NIO's back-pressure bounds it — but each request is
/// answered before the next is looked at, so replies keep the request order.
struct RequestLoop {
    let connection: Connection
    let service: CommandService
    let writer: ReplyWriter
    /// Lets a change's reply leave from the commit lane (Unix socket only).
    let shortcut: ReplyShortcut?
    /// Lets a spinning commit lane read the requests (Unix socket only).
    let direct: DirectInput?
    let gate: NIOLoopBound<InputGate>?

    private var framer: LineFramer
    private let parser = RequestParser()
    /// The `+` request whose data block is being read (or the error it will be
    /// answered with once its block has been read and discarded).
    private var pending: (request: Result<Request, ProtocolError>, reader: DataBlockReader)?
    private var watcher: Watcher?
    /// The line being served was read by a commit lane, and the loop runs there.
    private var onLane = false

    init(connection: Connection, service: CommandService, writer: ReplyWriter, shortcut: ReplyShortcut?,
         direct: DirectInput? = nil, gate: NIOLoopBound<InputGate>? = nil)
    {
        self.connection = connection
        self.service = service
        self.writer = writer
        self.shortcut = shortcut
        self.direct = direct
        self.gate = gate
        self.framer = LineFramer(maxLineLength: connection.configuration.maxLineBytes)
    }

    private enum Next { case proceed, stop }

    mutating func run(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, session: inout Session) async throws {
        if let scope = session.watch {
            await changeWatch(to: scope)
            watcher?.startForwarding()
        }
        await returnToEventLoop()  // the input reads the gate's state there
        var input = ConnectionInput(inbound, direct: direct, gate: gate, channel: connection.channel.channel)
        while true {
            let bytes: [UInt8]
            do {
                guard let next = try await input.next(laneMayRead: watcher == nil && session.watch == nil) else { return }
                bytes = next
            } catch is InputRaced {
                connection.logger.warning("requests that came with the end of input could not be ordered; none served")
                return
            }
            onLane = input.lastFromLane
            if !onLane { await returnToEventLoop() }
            framer.feed(bytes[...])
            while true {
                let line: [UInt8]
                do {
                    guard let next = try framer.nextLine() else { break }
                    line = next
                } catch {
                    // The contract: an over-long line is answered, then the connection closes.
                    _ = try await answer(Outcome(.error(error), close: true), session: &session)
                    return
                }
                connection.control.touch()
                if !onLane { await returnToEventLoop() }
                if try await take(line, session: &session) == .stop { return }
            }
        }
    }

    /// Back to the connection's event loop, if a commit lane finished the
    /// last request (`JobAdoption`): requests are served there, unless a lane
    /// read them itself (`DirectInput`) and they are ones it serves
    /// (`servedOnLane`).
    private func returnToEventLoop() async {
        await connection.channel.channel.eventLoop.comeBack()
    }

    /// One line: part of a data block, or a request.
    private mutating func take(_ line: [UInt8], session: inout Session) async throws -> Next {
        if var block = pending {
            guard let end = block.reader.consume(line) else {
                pending = block
                return .proceed
            }
            pending = nil
            switch (block.request, end) {
            case (.failure(let error), _), (.success, .failure(let error)):
                return try await answer(Outcome(.error(error)), session: &session)
            case (.success(let request), .success(let text)):
                return try await execute(request, data: text, session: &session)
            }
        }
        let request: Request
        do {
            guard let parsed = try parser.parse(line) else { return .proceed }  // blank lines are ignored
            request = parsed
        } catch {
            if RequestParser.announcesData(line[...]) {
                // Its block must still be read, or its lines would be taken for requests.
                pending = (.failure(error), newBlockReader())
                return .proceed
            }
            return try await answer(Outcome(.error(error)), session: &session)
        }
        if request.hasData {
            pending = (.success(request), newBlockReader())
            return .proceed
        }
        return try await execute(request, data: nil, session: &session)
    }

    /// What a lane that read the request serves itself: changes to a case
    /// and its reading, each a little work before the store (or none).
    /// Anything else — lists, audits, templates, sessions — goes to the
    /// event loop, so the lane is not kept from committing.
    static func servedOnLane(_ request: Request) -> Bool {
        guard request.verb.count == 2, request.verb[0] == "CASE" else { return request.verb == ["PING"] }
        return laneVerbs.contains(request.verb[1])
    }

    private static let laneVerbs: Set<String> = ["ADVANCE", "ATTACH", "SIGN", "HOLD", "RESUME", "NOTE", "SET", "SHOW"]

    private func newBlockReader() -> DataBlockReader {
        DataBlockReader(maxBytes: connection.configuration.maxDataBytes)
    }

    /// Runs one request through the command service and answers it.
    private mutating func execute(_ request: Request, data: String?, session: inout Session) async throws -> Next {
        if onLane && !Self.servedOnLane(request) { await returnToEventLoop() }
        guard connection.control.beginCommand() else { return .stop }
        let watchedBefore = session.watch
        // Early only while nothing else can write: no watcher beside us, and
        // nothing of this connection still waiting in NIO.
        session.earlyReplies = watcher == nil && session.watch == nil && writer.idle ? shortcut : nil
        let outcome = await service.handle(request, data: data, session: &session)
        session.earlyReplies = nil
        let early = shortcut?.takeSent()
        if session.watch != watchedBefore { await changeWatch(to: session.watch) }
        return try await finish(outcome, early: early)
    }

    /// Answers without the command service (a line the parser refused).
    private mutating func answer(_ outcome: Outcome, session: inout Session) async throws -> Next {
        guard connection.control.beginCommand() else { return .stop }
        return try await finish(outcome)
    }

    /// Sends a reply — or what an early reply left unsent — then whatever
    /// closing it calls for.
    private mutating func finish(_ outcome: Outcome, early: (bytes: [UInt8], sent: Int)? = nil) async throws -> Next {
        if let delay = outcome.delay { try? await Task.sleep(for: delay) }
        if let early, early.sent > 0 {
            // Only a durable change's reply leaves early, and it is what the command answers.
            assert(early.bytes == ReplyWriter.encoded(outcome.reply))
            service.metrics.replySentEarly()
            try await writer.send(early.bytes, from: early.sent)
        } else {
            try await writer.send(outcome.reply)
        }
        // Events start flowing only after the WATCH reply is out.
        watcher?.startForwarding()
        if outcome.close { return .stop }
        if let reason = connection.control.endCommand() {
            if reason.waitsForCommand { try? await writer.send(reason.reply) }
            return .stop
        }
        return .proceed
    }

    /// Subscribes to the hub for the new scope (before the reply is sent, so
    /// no event is missed), or stops watching. The old forwarder is stopped
    /// first, so nothing of the old scope follows an UNWATCH reply.
    private mutating func changeWatch(to scope: WatchScope?) async {
        await stopWatching()
        guard let scope else { return }
        let subscription = service.hub.subscribe(scope, capacity: connection.configuration.watchBacklog)
        watcher = Watcher(connection: connection, subscription: subscription, writer: writer)
        connection.control.setWatching(true)
    }

    mutating func stopWatching() async {
        guard let watcher else { return }
        self.watcher = nil
        await watcher.stop()
        connection.control.setWatching(false)
    }
}
