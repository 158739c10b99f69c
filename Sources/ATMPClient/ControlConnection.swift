import ControlProtocol

/// One connection to `atmpd`: connect, read the greeting, then request and reply.
///
/// Blocking and single-threaded on purpose: `atmpctl` sends one request and
/// waits for its reply. Asynchronous `650` lines that arrive while a reply is
/// awaited (after `WATCH`) go to `eventHandler` as they come.
public final class ControlConnection {
    public let endpoint: Endpoint
    /// The greeting's record: `atmpd version=… protocol=1`.
    public let greeting: ReplyRecord
    /// How long to wait for a reply; `nil` waits for ever.
    public var timeout: Duration?
    /// Receives every `650` line, in arrival order.
    public var eventHandler: ((Reply) -> Void)?

    private let socket: any ByteStream
    private var parser = ReplyParser()
    private var closed = false

    /// Connects and reads the greeting. A `452 too-busy` (or any error greeting)
    /// is `ClientError.refused`; anything else but `220` is `unexpectedGreeting`.
    /// With `tls`, the endpoint must be TCP; the server's certificate is checked before the greeting.
    public init(to endpoint: Endpoint, timeout: Duration? = .seconds(30), tls: TLSClientSettings? = nil)
        throws(ClientError)
    {
        self.endpoint = endpoint
        self.timeout = timeout
        switch (endpoint, tls) {
        case (_, nil): socket = try Socket.connect(to: endpoint, timeout: timeout ?? .seconds(30))
        case (.tcp(let host, let port), let tls?):
            socket = try TLSStream.connect(host: host, port: port, settings: tls, timeout: timeout ?? .seconds(30))
        case (.unix, .some): throw .usage("TLS is for TCP connections (--host and --port), not a Unix socket")
        }
        var greetingReply: Reply?
        do {
            while greetingReply == nil {
                greetingReply = try Self.nextOutput(parser: &parser, socket: socket, timeout: timeout, events: nil)
            }
        } catch .connectionClosed {
            throw .unexpectedGreeting("the connection closed before the greeting")
        }
        guard let greetingReply else { throw .connectionClosed }
        if let failure = ReplyFailure(greetingReply) {
            socket.close()
            throw .refused(failure)
        }
        guard greetingReply.code == .greeting, let record = greetingReply.status else {
            socket.close()
            throw .unexpectedGreeting(String(decoding: ReplyEncoder.encode(greetingReply), as: UTF8.self))
        }
        greeting = record
    }

    deinit { socket.close() }

    public func close() {
        closed = true
        socket.close()
    }

    /// A descriptor to poll alongside a terminal (the shell): the socket's, or a TLS stream's wake-up pipe.
    public var descriptor: Int32 { socket.descriptor }

    // MARK: Requests

    /// Sends a request (with its data block, dot-stuffed, when `data` is given)
    /// and returns its reply, error replies included.
    public func send(_ request: Request, data: String? = nil) throws(ClientError) -> Reply {
        try socket.write(RequestEncoder.encode(request, data: data))
        return try readReply()
    }

    /// Sends a request without waiting for its reply: pipelining. The server
    /// answers in request order, so each `readReply()` returns the reply to
    /// the oldest request not yet answered.
    public func write(_ request: Request, data: String? = nil) throws(ClientError) {
        try socket.write(RequestEncoder.encode(request, data: data))
    }

    /// Like `send`, but an error reply is thrown as `ClientError.refused`.
    @discardableResult
    public func perform(_ request: Request, data: String? = nil) throws(ClientError) -> Reply {
        let reply = try send(request, data: data)
        if let failure = ReplyFailure(reply) { throw .refused(failure) }
        return reply
    }

    /// Sends a line as typed (the shell): the LF is added here. No checks: the
    /// server is the judge of what is a request.
    public func sendRaw(_ line: String) throws(ClientError) {
        try socket.write(Array(line.utf8) + [0x0A])
    }

    /// The next reply, handing any `650` lines before it to `eventHandler`.
    public func readReply() throws(ClientError) -> Reply {
        while true {
            if let reply = try Self.nextOutput(parser: &parser, socket: socket, timeout: timeout, events: eventHandler) {
                return reply
            }
        }
    }

    /// Waits up to `timeout` (nil: for ever) for asynchronous lines and hands
    /// them to `eventHandler`. Returns false if the wait timed out with nothing
    /// read. A reply arriving here belongs to no request: a protocol violation,
    /// except `421`, which the server sends before closing (thrown as refused).
    @discardableResult
    public func pumpEvents(timeout: Duration?) throws(ClientError) -> Bool {
        // Events that came in with the last reply are already here.
        if try deliverBufferedEvents() { return true }
        let bytes: [UInt8]
        do { bytes = try socket.read(timeout: timeout) } catch .timedOut { return false }
        if bytes.isEmpty { throw .connectionClosed }
        parser.feed(bytes)
        _ = try deliverBufferedEvents()
        return true
    }

    /// Hands complete events already read to `eventHandler` without waiting;
    /// returns whether there were any.
    private func deliverBufferedEvents() throws(ClientError) -> Bool {
        var delivered = false
        while let output = try Self.take(&parser) {
            switch output {
            case .event(let event):
                delivered = true
                eventHandler?(event)
            case .reply(let reply):
                if let failure = ReplyFailure(reply), reply.code == .closing { throw .refused(failure) }
                throw .malformedReply("a reply that answers no request: \(reply.code)")
            }
        }
        return delivered
    }

    // MARK: Reading

    /// Reads until a reply is complete; events seen on the way go to `events`.
    private static func nextOutput(parser: inout ReplyParser, socket: any ByteStream, timeout: Duration?,
                                   events: ((Reply) -> Void)?) throws(ClientError) -> Reply? {
        while true {
            while let output = try take(&parser) {
                switch output {
                case .event(let event): events?(event)
                case .reply(let reply): return reply
                }
            }
            let bytes = try socket.read(timeout: timeout)
            if bytes.isEmpty { throw .connectionClosed }
            parser.feed(bytes)
        }
    }

    private static func take(_ parser: inout ReplyParser) throws(ClientError) -> ReplyParser.Output? {
        do { return try parser.next() } catch { throw .malformedReply(error.description) }
    }
}
