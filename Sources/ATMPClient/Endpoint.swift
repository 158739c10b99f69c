/// Where the daemon listens: a Unix socket path or a TCP host and port.
public enum Endpoint: Sendable, Hashable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// Where a no-option `atmpd` puts its socket (relative to the working directory).
    public static let localSocket = "./.atmp/atmpd.sock"
    /// The system-wide socket of an installed daemon.
    public static let systemSocket = "/run/atmp/atmpd.sock"

    public var description: String {
        switch self {
        case .unix(let path): return path
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// Picks the endpoint from options, then the environment, then the defaults.
    ///
    /// A host (option or `ATMP_HOST`) means TCP, and wins over a socket only when
    /// no socket was given as an option: an explicit `--socket` is the strongest
    /// word. Without either, `./.atmp/atmpd.sock` when it exists, else the system
    /// socket. `fileExists` is a parameter so that the choice is testable.
    public static func resolve(
        socket: String?, host: String?, port: Int?,
        environment: [String: String],
        fileExists: (String) -> Bool
    ) throws(ClientError) -> Endpoint {
        if let socket, !socket.isEmpty { return .unix(path: socket) }
        let host = host ?? environment["ATMP_HOST"].flatMap { $0.isEmpty ? nil : $0 }
        if let host {
            let portText = port.map(String.init) ?? environment["ATMP_PORT"] ?? ""
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw .usage("a TCP host needs a port from 1 to 65535 (--port or ATMP_PORT)")
            }
            return .tcp(host: host, port: port)
        }
        if port != nil { throw .usage("--port needs --host (or ATMP_HOST)") }
        if let socket = environment["ATMP_SOCKET"], !socket.isEmpty { return .unix(path: socket) }
        return .unix(path: fileExists(localSocket) ? localSocket : systemSocket)
    }
}
