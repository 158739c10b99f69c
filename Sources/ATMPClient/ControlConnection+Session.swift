import ControlProtocol

/// Who the server says we are after `AUTH`: `250 OK user=NAME roles=a,b`.
public struct Identity: Sendable, Hashable {
    public var user: String
    public var roles: [String]

    public init(user: String, roles: [String]) {
        self.user = user
        self.roles = roles
    }
}

extension ControlConnection {
    /// `PING` → `250 OK pong`.
    public func ping() throws(ClientError) {
        try perform(Request(verb: ["PING"]))
    }

    /// `HELLO` → `server`, `protocol`, `auth` records.
    public func hello() throws(ClientError) -> Reply {
        try perform(Request(verb: ["HELLO"]))
    }

    /// `AUTH user=… password=…`; a wrong password is `.refused` with code 535.
    @discardableResult
    public func authenticate(user: String, password: String) throws(ClientError) -> Identity {
        let reply = try perform(Request(verb: ["AUTH"], keyed: [Field("user", user), Field("password", password)]))
        let roles = reply.status?["roles"].map { $0.split(separator: ",").map(String.init) } ?? []
        return Identity(user: reply.status?["user"] ?? user, roles: roles)
    }

    /// `QUIT` → `250 OK bye`; the server then closes, and so does this side.
    public func quit() throws(ClientError) {
        defer { close() }
        try perform(Request(verb: ["QUIT"]))
    }

    /// What `WATCH` follows.
    public enum WatchScope: Sendable, Hashable {
        case `case`(String)
        case template(String)
        case all
        /// No argument: the server's default scope.
        case serverDefault
    }

    /// `WATCH [case=ID | template=NAME | all]`; events then reach `eventHandler`.
    public func watch(_ scope: WatchScope) throws(ClientError) {
        var request = Request(verb: ["WATCH"])
        switch scope {
        case .case(let id): request.keyed = [Field("case", id)]
        case .template(let name): request.keyed = [Field("template", name)]
        case .all: request.positional = ["all"]
        case .serverDefault: break
        }
        try perform(request)
    }

    public func unwatch() throws(ClientError) {
        try perform(Request(verb: ["UNWATCH"]))
    }
}
