import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How atmpctl checks the daemon's certificate on a TLS connection.
public struct TLSClientSettings: Sendable, Hashable {
    /// A PEM file of CA certificates to trust instead of the system's (a private CA).
    public var caFile: String?

    public init(caFile: String? = nil) { self.caFile = caFile }
}

/// A TLS connection with the same blocking face as `Socket`.
///
/// Why NIO here when the plain path is bare POSIX: TLS itself comes from
/// swift-nio-ssl, which only works as a NIO channel handler. So the channel
/// runs on NIO's event loop, and this class adapts it to the blocking caller:
/// inbound plaintext goes into a locked buffer; each arrival also writes a
/// byte to a wake-up pipe. A read waits on that pipe with `poll`, the same
/// wait `Socket` does, so timeouts work alike and the shell can poll
/// `descriptor` next to the terminal. Writes wait for NIO's write future.
final class TLSStream: ByteStream {
    private let channel: any Channel
    private let inbox: Inbox

    var descriptor: Int32 { inbox.wakeRead }

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    deinit { close() }

    /// Connects, completes the handshake (certificate and host name checked), or throws why not.
    static func connect(host: String, port: Int, settings: TLSClientSettings, timeout: Duration)
        throws(ClientError) -> TLSStream
    {
        let endpoint = Endpoint.tcp(host: host, port: port).description
        let context = try makeContext(settings)
        // SNI takes names only; for an address NIOSSL checks the certificate's IP entries against the peer's address.
        let serverName = isIPAddress(host) ? nil : host
        let inbox: Inbox
        do { inbox = try Inbox() } catch { throw .io("cannot make a wake-up pipe: \(errnoText())") }
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(Int64(clamping: timeout.components.seconds * 1_000_000_000
                + timeout.components.attoseconds / 1_000_000_000)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: serverName))
                    try channel.pipeline.syncOperations.addHandler(InboxHandler(inbox))
                }
            }
        let channel: any Channel
        do {
            channel = try bootstrap.connect(host: host, port: port).wait()
        } catch {
            inbox.close()
            throw .cannotConnect(endpoint: endpoint, reason: describe(error))
        }
        let stream = TLSStream(channel: channel, inbox: inbox)
        if let failure = stream.awaitHandshake(timeout: timeout) {
            stream.close()
            throw .cannotConnect(endpoint: endpoint, reason: failure)
        }
        return stream
    }

    private static func makeContext(_ settings: TLSClientSettings) throws(ClientError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile = settings.caFile {
            guard access(caFile, R_OK) == 0 else { throw .usage("cannot read CA file \(caFile): \(errnoText())") }
            let roots: [NIOSSLCertificate]
            do { roots = try NIOSSLCertificate.fromPEMFile(caFile) } catch {
                throw .usage("CA file \(caFile) is not a PEM certificate file")
            }
            guard !roots.isEmpty else { throw .usage("CA file \(caFile) holds no PEM certificate") }
            configuration.trustRoots = .certificates(roots)
        }
        do { return try NIOSSLContext(configuration: configuration) } catch {
            throw .io("cannot set up TLS: \(error)")
        }
    }

    /// Nil once the handshake is done; else why it failed.
    private func awaitHandshake(timeout: Duration) -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            inbox.drainWake()
            let state = inbox.state.withLock { ($0.handshakeDone, $0.failure, $0.ended) }
            if state.0 { return nil }
            if let failure = state.1 { return Self.handshakeFailure(failure) }
            if state.2 { return "the server closed the connection during the TLS handshake" }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return "the TLS handshake timed out" }
            if case .failed(let why) = Socket.poll(inbox.wakeRead, events: Int16(POLLIN), timeout: left) { return why }
        }
    }

    private static func handshakeFailure(_ error: String) -> String {
        if error.contains("CERTIFICATE_VERIFY_FAILED") {
            return "TLS handshake failed: the server's certificate is not trusted "
                + "(give the CA that signed it with --ca-file) [\(error)]"
        }
        if error.contains("unableToValidateCertificate") || error.contains("cannotMatch") {
            return "TLS handshake failed: the server's certificate is not for this host name or address [\(error)]"
        }
        if error.contains("WRONG_VERSION_NUMBER") {
            return "TLS handshake failed: the server does not speak TLS here (a plain port?) [\(error)]"
        }
        return "TLS handshake failed: \(error)"
    }

    func write(_ bytes: [UInt8]) throws(ClientError) {
        do {
            try channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).wait()
        } catch ChannelError.ioOnClosedChannel {
            throw .connectionClosed
        } catch {
            if inbox.state.withLock({ $0.ended }) { throw .connectionClosed }
            throw .io("write failed: \(error)")
        }
    }

    /// Bytes available within `timeout` (nil waits for ever); empty at end of stream.
    func read(timeout: Duration?) throws(ClientError) -> [UInt8] {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            // Drain first: a wake-up that comes after the check below stays in the pipe and ends the poll.
            inbox.drainWake()
            let taken: Result<[UInt8], ClientError>? = inbox.state.withLock { state in
                if !state.bytes.isEmpty {
                    defer { state.bytes.removeAll(keepingCapacity: true) }
                    return .success(state.bytes)
                }
                if let failure = state.failure { return .failure(.io("TLS connection failed: \(failure)")) }
                return state.ended ? .success([]) : nil
            }
            if let taken { return try taken.get() }
            let left = deadline.map { max(.zero, $0 - ContinuousClock.now) }
            switch Socket.poll(inbox.wakeRead, events: Int16(POLLIN), timeout: left) {
            case .failed(let why): throw .io("read failed: \(why)")
            case .timedOut: throw .timedOut
            case .ready: continue
            }
        }
    }

    func close() {
        channel.close(promise: nil)
        inbox.close()
    }

    private static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    private static func describe(_ error: any Error) -> String {
        if let connect = error as? NIOConnectionError, let first = connect.connectionErrors.first {
            return "\(first.error)"
        }
        return "\(error)"
    }
}

/// What the event loop hands the blocking reader, and the pipe that wakes it.
private final class Inbox: Sendable {
    struct State {
        var bytes: [UInt8] = []
        var handshakeDone = false
        var ended = false
        var failure: String?
        var closed = false
    }
    let state = Mutex(State())
    let wakeRead: Int32
    private let wakeWrite: Int32

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ClientError.io(errnoText()) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK) }
    }

    /// Changes the state and wakes the reader. Under the lock, so the pipe cannot be closed (and its number reused) meanwhile.
    func update(_ change: (inout State) -> Void) {
        state.withLock { state in
            change(&state)
            guard !state.closed else { return }
            var byte: UInt8 = 1
            _ = posixWrite(wakeWrite, &byte, 1)  // a full pipe already wakes the reader
        }
    }

    func drainWake() {
        state.withLock { state in
            guard !state.closed else { return }
            var sink = [UInt8](repeating: 0, count: 64)
            while posixRead(wakeRead, &sink, sink.count) > 0 {}
        }
    }

    func close() {
        state.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            state.ended = true
            _ = posixClose(wakeRead)
            _ = posixClose(wakeWrite)
        }
    }
}

/// The last handler of the channel: plaintext and what happens to the connection, into the inbox.
private final class InboxHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let inbox: Inbox

    init(_ inbox: Inbox) { self.inbox = inbox }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard let bytes = buffer.readBytes(length: buffer.readableBytes), !bytes.isEmpty else { return }
        inbox.update { $0.bytes += bytes }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted? = event as? TLSUserEvent {
            inbox.update { $0.handshakeDone = true }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A close without TLS close_notify after the handshake ends the stream like a plain close; replies are framed.
        if let tlsError = error as? NIOSSLError, case .uncleanShutdown = tlsError {
            inbox.update { $0.ended = true }
        } else {
            inbox.update { if $0.failure == nil { $0.failure = "\(error)" } }
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.update { $0.ended = true }
        context.fireChannelInactive()
    }
}

// The C calls, named apart from the methods above that shadow them.
private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
private func posixRead(_ fd: Int32, _ bytes: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, bytes, count) }
private func posixClose(_ fd: Int32) -> Int32 { close(fd) }
