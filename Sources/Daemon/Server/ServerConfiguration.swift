/// How the control server listens and the limits it enforces on each connection.
public struct ServerConfiguration: Sendable {
    /// A TCP address to listen on as well as the Unix socket (`--listen HOST:PORT`).
    public struct TCPAddress: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) { self.host = host; self.port = port }

        /// `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all interfaces); nil if malformed.
        public init?(parsing text: String) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                  (0...65_535).contains(port)
            else { return nil }
            var host = String(text[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            self.init(host: host.isEmpty ? "0.0.0.0" : host, port: port)
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// The Unix stream socket (created mode 0660); nil to listen on TCP only.
    public var socketPath: String?
    public var tcp: TCPAddress?
    /// TLS for every TCP connection; required unless `tcp` is a loopback address.
    public var tls: ServerTLS?
    /// Connections beyond this many are greeted with `452 too-busy` and closed.
    public var maxConnections: Int = 256
    /// A connection that sends nothing for this long (and watches nothing) gets
    /// `421 idle-timeout` and is closed.
    public var idleTimeout: Duration = .seconds(15 * 60)
    /// Longest request line in bytes, without its line ending.
    public var maxLineBytes: Int = 16 * 1024
    /// Largest data block of a `+` request, in bytes.
    public var maxDataBytes: Int = 1 << 20
    /// Events a watcher may have queued before it is cut off.
    public var watchBacklog: Int = 1_000
    /// A watcher whose event write has not gone through for this long is cut off.
    public var watchStallTimeout: Duration = .seconds(10)
    /// How often each connection's watchdog looks at the idle and stall limits.
    public var watchdogInterval: Duration = .seconds(1)
    /// How long a closing line (421, 452) may take to go out before the
    /// connection is closed anyway.
    public var closingGrace: Duration = .seconds(2)
    /// Authenticate Unix socket peers by their OS user (SO_PEERCRED).
    public var peerAuthentication: Bool = false
    /// Let a spinning commit lane read a Unix-socket client's requests
    /// (`DirectInput`); it does so only while it spins.
    public var laneReadsRequests: Bool = true

    public init(socketPath: String? = nil, tcp: TCPAddress? = nil) {
        self.socketPath = socketPath
        self.tcp = tcp
    }
}
