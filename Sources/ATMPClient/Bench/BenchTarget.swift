/// Where the load generator connects and as whom; every connection signs in
/// with the same credentials, resolved once (a password prompt per
/// connection would be absurd).
public struct BenchTarget: Sendable {
    public var endpoint: Endpoint
    /// nil: do not sign in (a daemon that trusts the Unix socket peer).
    public var user: String?
    public var password: String
    /// How long any one reply may take before the connection counts as failed.
    public var timeout: Duration
    /// TLS for a TCP endpoint; nil for a plain connection.
    public var tls: TLSClientSettings?

    public init(endpoint: Endpoint, user: String?, password: String, timeout: Duration, tls: TLSClientSettings? = nil) {
        self.endpoint = endpoint
        self.tls = tls
        self.user = user
        self.password = password
        self.timeout = timeout
    }

    /// A connection, signed in unless `user` is nil; the identity when signed in.
    func connect() throws(ClientError) -> (ControlConnection, Identity?) {
        let connection = try ControlConnection(to: endpoint, timeout: timeout, tls: tls)
        guard let user else { return (connection, nil) }
        return (connection, try connection.authenticate(user: user, password: password))
    }
}
