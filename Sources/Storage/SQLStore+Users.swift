import AuditLog

extension SQLStore {
    static func user(from row: SQLRow) throws(StoreError) -> StoredUser {
        let roles = try row.string(1)
        return StoredUser(
            name: try row.string(0), roles: roles.isEmpty ? [] : roles.split(separator: ",").map(String.init),
            passwordHash: try row.string(2), disabled: try row.bool(3))
    }

    public func addUser(_ user: StoredUser, by actor: String, role: String, at: Timestamp)
        async throws(StoreError) -> AuditEvent
    {
        try await pool.withConnection { connection in
            try connection.transaction {
                if try !connection.query("SELECT 1 FROM users WHERE name = $1", [.text(user.name)]).isEmpty {
                    throw StoreError(.conflict, "user \(user.name) already exists")
                }
                try connection.execute(
                    "INSERT INTO users (name, roles, password_hash, disabled) VALUES ($1, $2, $3, $4)",
                    [.text(user.name), .text(user.roles.joined(separator: ",")), .text(user.passwordHash),
                     .bool(user.disabled)])
                return try Self.appendSystemEvent(
                    AuditRecord(at: at, actor: actor, role: role, action: "user.added",
                                data: ["name": .string(user.name), "roles": .array(user.roles.map(JSONValue.string)),
                                       "disabled": .bool(user.disabled)]),
                    on: connection)
            }
        }
    }

    public func changeUser(named name: String, _ change: UserChange, by actor: String, role: String, at: Timestamp)
        async throws(StoreError) -> StoredUser
    {
        try await pool.withConnection { connection in
            try connection.transaction {
                let lock = connection.dialect == .postgres ? " FOR UPDATE" : ""
                guard let row = try connection.query(
                    "SELECT name, roles, password_hash, disabled FROM users WHERE name = $1" + lock, [.text(name)]).first
                else { throw StoreError(.notFound, "no user \(name)") }
                let old = try Self.user(from: row)
                var new = old
                var changes: [String: JSONValue] = [:]
                if let roles = change.roles, roles != old.roles {
                    new.roles = roles
                    changes["roles"] = ["old": .array(old.roles.map(JSONValue.string)),
                                        "new": .array(roles.map(JSONValue.string))]
                }
                if let disabled = change.disabled, disabled != old.disabled {
                    new.disabled = disabled
                    changes["disabled"] = ["old": .bool(old.disabled), "new": .bool(disabled)]
                }
                if let hash = change.passwordHash {
                    // The hash itself never enters the trail: only that it changed.
                    new.passwordHash = hash
                    changes["password"] = ["changed": true]
                }
                if changes.isEmpty { return old }
                try connection.execute(
                    "UPDATE users SET roles = $2, password_hash = $3, disabled = $4 WHERE name = $1",
                    [.text(name), .text(new.roles.joined(separator: ",")), .text(new.passwordHash), .bool(new.disabled)])
                _ = try Self.appendSystemEvent(
                    AuditRecord(at: at, actor: actor, role: role, action: "user.changed",
                                data: ["name": .string(name), "changes": .object(changes)]),
                    on: connection)
                return new
            }
        }
    }

    public func user(named name: String) async throws(StoreError) -> StoredUser? {
        try await pool.withConnection { connection in
            try connection.query("SELECT name, roles, password_hash, disabled FROM users WHERE name = $1", [.text(name)])
                .first.map { row throws(StoreError) in try Self.user(from: row) }
        }
    }

    public func users() async throws(StoreError) -> [StoredUser] {
        try await pool.withConnection { connection in
            try connection.query("SELECT name, roles, password_hash, disabled FROM users ORDER BY name", [])
                .map { row throws(StoreError) in try Self.user(from: row) }
        }
    }

    public func recordAuthFailure(user: String, reason: String, peer: String?, at: Timestamp)
        async throws(StoreError) -> AuditEvent
    {
        try await pool.withConnection { connection in
            try connection.transaction {
                try Self.appendSystemEvent(
                    AuditRecord(at: at, actor: AuditEvent.systemActor, role: AuditEvent.systemActor,
                                action: "auth.failed",
                                data: ["user": .string(user), "reason": .string(reason), "peer": .optional(peer)]),
                    on: connection)
            }
        }
    }
}
