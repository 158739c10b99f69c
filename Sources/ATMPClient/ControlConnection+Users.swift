import ControlProtocol

/// A `user` record of `USER LIST`.
public struct UserAccount: Sendable, Hashable {
    public var name: String
    public var roles: [String]
    public var disabled: Bool

    public init?(_ record: ReplyRecord) {
        guard record.type == "user", let name = record["name"] else { return nil }
        self.name = name
        roles = (record["roles"] ?? "").split(separator: ",").map(String.init)
        disabled = record["disabled"] == "true"
    }
}

extension ControlConnection {
    @discardableResult
    public func addUser(_ name: String, roles: [String], password: String) throws(ClientError) -> Reply {
        try perform(Request(verb: ["USER", "ADD"], positional: [name],
                            keyed: [Field("roles", roles.joined(separator: ",")), Field("password", password)]))
    }

    public func listUsers() throws(ClientError) -> [UserAccount] {
        try perform(Request(verb: ["USER", "LIST"])).records.compactMap(UserAccount.init)
    }

    @discardableResult
    public func setRoles(of name: String, to roles: [String]) throws(ClientError) -> Reply {
        try perform(Request(verb: ["USER", "ROLES"], positional: [name],
                            keyed: [Field("roles", roles.joined(separator: ","))]))
    }

    @discardableResult
    public func disableUser(_ name: String) throws(ClientError) -> Reply {
        try perform(Request(verb: ["USER", "DISABLE"], positional: [name]))
    }

    @discardableResult
    public func enableUser(_ name: String) throws(ClientError) -> Reply {
        try perform(Request(verb: ["USER", "ENABLE"], positional: [name]))
    }

    @discardableResult
    public func setPassword(of name: String, to password: String) throws(ClientError) -> Reply {
        try perform(Request(verb: ["USER", "PASSWORD"], positional: [name], keyed: [Field("password", password)]))
    }
}
