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
/// bodies are read and thrown away. There is no connection limit or timeout
/// of its own: it is not meant to face the internet.
public final class MetricsEndpoint: Service, Sendable {
    public let address: ServerConfiguration.TCPAddress
    let service: CommandService
    let group: any EventLoopGroup
    let logger: Logger
    private let boundPort = Mutex<Int?>(nil)
    /// Called once the socket is bound (tests learn the port from it).
    private let onListening: @Sendable (Int) -> Void

    public init(address: ServerConfiguration.TCPAddress, service: CommandService,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
                onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.address = address
        self.service = service
        self.group = group
        self.logger = logger
        self.onListening = onListening
    }

    /// The port actually bound (useful with port 0), once `run` has bound it.
    public var port: Int? { boundPort.withLock { $0 } }

    typealias HTTPChannel = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    public func run() async throws {
        let listener: NIOAsyncChannel<HTTPChannel, Never>
        do {
            listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try HTTPChannel(wrappingChannelSynchronously: channel)
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
                            for try await connection in inbound {
                                connections.addTask { await self.serve(connection) }
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
            }
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
