import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The Prometheus endpoint: `GET /metrics` over plain HTTP/1.1, answered from
/// `CommandService.prometheusText()`. Off unless `metrics-listen` is set.
///
/// It serves nothing but counts and gauges — no case, user or audit data — so
/// it needs no sign-in; still, bind it to an address only the scraper can
/// reach (docs/operations.md). Every other path is 404, every other method 405;
/// a connection's requests are answered one at a time, in order, and request
/// bodies are read and thrown away.
///
/// It is not meant to face the internet, but a stuck or greedy client must not
/// cost the daemon more than a few sockets: connections beyond `Limits`'s
/// count are answered 503 and closed, and a connection that sends nothing for
/// the idle timeout is closed (a scraper simply reconnects).
public final class MetricsEndpoint: Service, Sendable {
    public struct Limits: Sendable {
        /// Connections served at once.
        public var maxConnections: Int
        /// How long a connection may send nothing before it is closed.
        public var idleTimeout: TimeAmount
        public init(maxConnections: Int = 16, idleTimeout: TimeAmount = .seconds(60)) {
            self.maxConnections = maxConnections
            self.idleTimeout = idleTimeout
        }
    }

    public let address: ServerConfiguration.TCPAddress
    public let limits: Limits
    /// The connections being served, to count them and to close them on shutdown.
    private let open = Mutex(OpenConnections())

    struct OpenConnections: ~Copyable {
        var channels: [ObjectIdentifier: any Channel] = [:]
        /// Set at shutdown: a connection accepted after it is refused.
        var closing = false
    }
    let service: CommandService
    let group: any EventLoopGroup
    let logger: Logger
    private let boundPort = Mutex<Int?>(nil)
    /// Called once the socket is bound (tests learn the port from it).
    private let onListening: @Sendable (Int) -> Void

    public init(address: ServerConfiguration.TCPAddress, service: CommandService, limits: Limits = Limits(),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
                onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.address = address
        self.limits = limits
        self.service = service
        self.group = group
        self.logger = logger
        self.onListening = onListening
    }

    /// The port actually bound (useful with port 0), once `run` has bound it.
    public var port: Int? { boundPort.withLock { $0 } }

    typealias HTTPChannel = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// What became of an accepted connection.
    enum Admission: Sendable {
        case serve(HTTPChannel)
        /// Over the limit: `RefuseWhenActive` answers and closes it.
        case refused
    }

    public func run() async throws {
        let listener: NIOAsyncChannel<Admission, Never>
        let idleTimeout = limits.idleTimeout
        do {
            listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard self.admit(channel) else {
                            // Over the limit: a fixed 503 and close, before any
                            // HTTP parsing (an HTTP pipeline answers requests only).
                            self.logger.warning("metrics connection limit reached; refusing a connection",
                                                metadata: ["limit": "\(self.limits.maxConnections)"])
                            try channel.pipeline.syncOperations.addHandler(RefuseWhenActive())
                            return .refused
                        }
                        channel.closeFuture.whenComplete { _ in
                            _ = self.open.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
                        }
                        // First in the pipeline, so that any bytes at all count as activity.
                        try channel.pipeline.syncOperations.addHandlers(
                            IdleStateHandler(readTimeout: idleTimeout), CloseWhenIdle())
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return .serve(try HTTPChannel(wrappingChannelSynchronously: channel))
                    }
                }
        } catch {
            throw ControlServer.StartError(description: "cannot listen for metrics on \(address): \(error)")
        }
        let port = listener.channel.localAddress?.port ?? address.port
        boundPort.withLock { $0 = port }
        logger.info("metrics endpoint listening", metadata: ["address": "\(address.host):\(port)", "path": "/metrics"])
        onListening(port)

        await withDiscardingTaskGroup { group in
            group.addTask {
                do {
                    try await listener.executeThenClose { inbound in
                        try await withThrowingDiscardingTaskGroup { connections in
                            for try await admission in inbound {
                                if case .serve(let connection) = admission {
                                    connections.addTask { await self.serve(connection) }
                                }
                            }
                        }
                    }
                } catch {
                    self.logger.debug("metrics listener ended", metadata: ["error": "\(error)"])
                }
            }
            group.addTask {
                try? await gracefulShutdown()
                listener.channel.close(promise: nil)
                // Scrapers keep connections open between scrapes; waiting for
                // them to go would hold up atmpd's exit until the idle timeout.
                let channels = self.open.withLock { open in
                    open.closing = true
                    return Array(open.channels.values)
                }
                for channel in channels { channel.close(promise: nil) }
            }
        }
    }

    /// Counts a connection in, if there is room for it; its channel's close
    /// counts it out.
    private func admit(_ channel: any Channel) -> Bool {
        open.withLock { open in
            guard !open.closing, open.channels.count < limits.maxConnections else { return false }
            open.channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    private func serve(_ connection: HTTPChannel) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let request): head = request
                case .body: continue  // a scrape has no body; anything sent is ignored
                case .end:
                    guard let request = head else { continue }
                    head = nil
                    let response = Self.respond(to: request, body: { self.service.prometheusText() })
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: response.contentType)
                    headers.add(name: "Content-Length", value: "\(response.body.utf8.count)")
                    if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
                    try await outbound.write(.head(HTTPResponseHead(version: request.version, status: response.status,
                                                                    headers: headers)))
                    if request.method != .HEAD {
                        try await outbound.write(.body(.byteBuffer(connection.channel.allocator.buffer(string: response.body))))
                    }
                    try await outbound.write(.end(nil))
                    if !request.isKeepAlive { return }
                }
            }
        }
    }

    /// What the endpoint answers to a request: a pure function of its head.
    struct Response: Equatable {
        var status: HTTPResponseStatus
        var contentType: String
        var body: String
    }

    static func respond(to request: HTTPRequestHead, body: () -> String) -> Response {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        guard path == "/metrics" else {
            return Response(status: .notFound, contentType: "text/plain; charset=utf-8",
                            body: "not found; metrics are at /metrics\n")
        }
        guard request.method == .GET || request.method == .HEAD else {
            return Response(status: .methodNotAllowed, contentType: "text/plain; charset=utf-8",
                            body: "only GET and HEAD\n")
        }
        return Response(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: body())
    }
}

/// Closes the connection when `IdleStateHandler` reports that nothing was read
/// for its timeout. Bytes pass through untouched.
private final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .read? = event as? IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

/// Answers a connection over the limit with a fixed 503 and closes it; what
/// the client sends is not read.
private final class RefuseWhenActive: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let body = "too many connections to the metrics endpoint; try later\n"
    static let response = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
    private var answered = false

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func answer(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(string: Self.response)))
            .whenComplete { _ in channel.close(promise: nil) }
    }
}
