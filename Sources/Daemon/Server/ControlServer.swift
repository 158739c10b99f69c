import ControlProtocol
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The control protocol's server: listens on the Unix socket (and TCP if
/// asked), and serves each connection with the command service.
///
/// A swift-service-lifecycle `Service`. On graceful shutdown it stops
/// accepting, lets commands in progress finish and be answered, says
/// `421 shutting-down` to every connection, closes them, and returns.
public final class ControlServer: Service, Sendable {
    public let configuration: ServerConfiguration
    let service: CommandService
    let group: any EventLoopGroup
    let logger: Logger
    let registry: ConnectionRegistry
    private let onListening: @Sendable (ListeningInfo) -> Void
    private let tcpPort = Mutex<Int?>(nil)

    /// Where the server ended up listening (the TCP port is the real one when 0 was asked for).
    public struct ListeningInfo: Sendable {
        public var socketPath: String?
        public var tcpPort: Int?
        /// Whether TCP connections speak TLS.
        public var tls: Bool = false
    }

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Applied to every new session before its greeting; tests use it to start a watch.
    let prepareSession: @Sendable (inout Session) -> Void

    public convenience init(configuration: ServerConfiguration, service: CommandService,
                            group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
                            onListening: @escaping @Sendable (ListeningInfo) -> Void = { _ in }) {
        self.init(configuration: configuration, service: service, group: group, logger: logger,
                  prepareSession: { _ in }, onListening: onListening)
    }

    init(configuration: ServerConfiguration, service: CommandService, group: any EventLoopGroup, logger: Logger,
         prepareSession: @escaping @Sendable (inout Session) -> Void,
         onListening: @escaping @Sendable (ListeningInfo) -> Void) {
        self.prepareSession = prepareSession
        self.configuration = configuration
        self.service = service
        self.group = group
        self.logger = logger
        self.onListening = onListening
        self.registry = ConnectionRegistry(maxConnections: configuration.maxConnections)
    }

    /// The TCP port bound, once listening.
    public var boundTCPPort: Int? { tcpPort.withLock { $0 } }

    /// Connections open right now.
    public var connectionCount: Int { registry.count }

    typealias Listener = NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>

    public func run() async throws {
        var listeners: [(listener: Listener, isUnix: Bool)] = []
        do {
            if let path = configuration.socketPath {
                try SocketFile.prepare(path)
                listeners.append((try await bootstrap().bind(unixDomainSocketPath: path, childChannelInitializer: { Self.wrap($0, gated: true) }), true))
                try SocketFile.restrict(path)
            }
            if let tcp = configuration.tcp {
                if configuration.tls == nil && !tcp.isLoopback { throw Self.plainTCPRefusal(tcp) }
                let tls = configuration.tls
                let listener = try await bootstrap().bind(host: tcp.host, port: tcp.port, childChannelInitializer: { channel -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> in
                    // TLS goes first in the pipeline, so the request loop only ever sees plaintext.
                    do { try tls?.addHandler(to: channel) } catch { return channel.eventLoop.makeFailedFuture(error) }
                    return Self.wrap(channel)
                })
                tcpPort.withLock { $0 = listener.channel.localAddress?.port }
                listeners.append((listener, false))
            }
        } catch {
            for (listener, _) in listeners { listener.channel.close(promise: nil) }
            if let path = configuration.socketPath, !listeners.isEmpty { SocketFile.remove(path) }
            if let problem = error as? SocketFile.Problem { throw StartError(description: problem.description) }
            if let refusal = error as? StartError { throw refusal }
            throw StartError(description: "cannot listen: \(error)")
        }
        guard !listeners.isEmpty else { throw StartError(description: "nothing to listen on: give a socket path or a TCP address") }
        logger.info("listening", metadata: [
            "socket": "\(configuration.socketPath ?? "-")", "tcp": "\(boundTCPPort.map(String.init) ?? "-")",
            "tls": "\(configuration.tls != nil)",
        ])
        onListening(ListeningInfo(socketPath: configuration.socketPath, tcpPort: boundTCPPort, tls: configuration.tls != nil))

        defer { if let path = configuration.socketPath { SocketFile.remove(path) } }
        let bound = listeners
        await withDiscardingTaskGroup { group in
            for (listener, isUnix) in bound {
                group.addTask { await self.accept(on: listener, isUnix: isUnix) }
            }
            group.addTask {
                // Returns on graceful shutdown, throws when cancelled: either way, wind down.
                try? await gracefulShutdown()
                self.shutDown(bound.map(\.listener))
            }
        }
        logger.info("server stopped")
    }

    /// Passwords and audit data must not cross a network in clear text.
    public static func plainTCPRefusal(_ address: ServerConfiguration.TCPAddress) -> StartError {
        StartError(description:
            "refusing plain TCP on \(address): it is not a loopback address; give a TLS certificate and key "
            + "(--tls-cert and --tls-key), or listen on 127.0.0.1, ::1 or localhost")
    }

    private func bootstrap() -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    }

    /// Each accepted socket becomes an async channel of raw bytes; framing is the request loop's.
    /// `gated`: with an `InputGate`, so a commit lane may read the socket (`DirectInput`).
    private static func wrap(_ channel: Channel, gated: Bool = false) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> {
        channel.eventLoop.makeCompletedFuture {
            if gated { try channel.pipeline.syncOperations.addHandler(InputGate()) }
            return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
        }
    }

    private func accept(on listener: Listener, isUnix: Bool) async {
        await withDiscardingTaskGroup { connections in
            do {
                try await listener.executeThenClose { inbound in
                    for try await channel in inbound {
                        // The connection's task runs on its channel's event loop (see EventLoopTaskExecutor).
                        let executor = EventLoopTaskExecutor(channel.channel.eventLoop)
                        connections.addTask(executorPreference: executor) { await self.serve(channel, isUnix: isUnix) }
                    }
                }
            } catch {
                logger.error("listener failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func serve(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, isUnix: Bool) async {
        let transport: Session.Transport
        if isUnix {
            let credentials = await PeerCredentials.of(channel.channel)
            transport = .unix(peerUID: credentials?.uid, peerUser: credentials.flatMap { PeerCredentials.userName(of: $0.uid) })
        } else {
            transport = .tcp(peer: channel.channel.remoteAddress?.description ?? "unknown")
        }
        let connection = Connection(
            id: registry.nextID(), channel: channel, transport: transport, configuration: configuration, logger: logger)
        switch registry.admit(connection) {
        case .admitted:
            service.metrics.connectionAccepted()
            defer {
                registry.remove(connection)
                service.metrics.connectionClosed()
            }
            await connection.run(service: service, greeting: greeting, prepare: prepareSession)
        case .tooBusy:
            service.metrics.connectionRefused()
            logger.warning("connection limit reached; refusing a connection", metadata: ["limit": "\(configuration.maxConnections)"])
            await refuse(channel, with: .error(.tooBusy("too many connections (limit \(configuration.maxConnections)); try later")))
        case .shuttingDown:
            await refuse(channel, with: CloseReason.shuttingDown.reply)
        }
    }

    /// Says why instead of greeting, and closes.
    private func refuse(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, with reply: Reply) async {
        try? await channel.executeThenClose { _, outbound in
            try await outbound.write(ReplyWriter.buffer(reply, allocator: channel.channel.allocator))
        }
    }

    private var greeting: Reply {
        Reply(code: .greeting, final: .success(ReplyRecord(
            "atmpd", fields: [Field("version", service.configuration.version), Field("protocol", "1")])))
    }

    private func shutDown(_ listeners: [Listener]) {
        logger.info("shutting down: no new connections; closing open ones after their current command")
        for listener in listeners { listener.channel.close(promise: nil) }
        for connection in registry.beginShutdown() { connection.close(.shuttingDown) }
    }
}

/// The open connections, their number bounded, and whether new ones are still welcome.
final class ConnectionRegistry: Sendable {
    enum Admission { case admitted, tooBusy, shuttingDown }

    private struct State {
        var connections: [UInt64: Connection] = [:]
        var shuttingDown = false
        var nextID: UInt64 = 1
    }
    private let state = Mutex(State())
    let maxConnections: Int

    init(maxConnections: Int) { self.maxConnections = maxConnections }

    func nextID() -> UInt64 {
        state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
    }

    func admit(_ connection: Connection) -> Admission {
        state.withLock { state in
            if state.shuttingDown { return .shuttingDown }
            if state.connections.count >= maxConnections { return .tooBusy }
            state.connections[connection.id] = connection
            return .admitted
        }
    }

    func remove(_ connection: Connection) {
        _ = state.withLock { $0.connections.removeValue(forKey: connection.id) }
    }

    /// Refuses new connections from now on; returns the open ones.
    func beginShutdown() -> [Connection] {
        state.withLock { state in
            state.shuttingDown = true
            return Array(state.connections.values)
        }
    }

    var count: Int { state.withLock { $0.connections.count } }
}
