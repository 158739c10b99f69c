import AuditLog
import ControlProtocol
import Storage
import Workflow

// USER ADD, LIST, ROLES, DISABLE, ENABLE, PASSWORD. The store audits every
// change (user.added / user.changed); passwords are hashed here and never
// logged, echoed or audited.
extension CommandService {
    func addUser(_ request: Request, _ session: Session) async throws(ServiceFailure) -> Outcome {
        let name = request.positional[0]
        try Self.checkUserName(name)
        let roles = try Self.parseRoles(request["roles"] ?? "")
        let password = try Self.checkPassword(request["password"] ?? "")
        let user = StoredUser(name: name, roles: roles,
                              passwordHash: await PasswordWork.make(password, cost: configuration.passwordCost))
        let actor = session.user ?? ""
        let event = try await storeCall { () async throws(StoreError) in
            try await store.addUser(user, by: actor, role: SystemRole.admin, at: clock.now())
        }
        users.invalidate(name)
        publish([event], template: nil, state: nil)
        logger.info("user added", metadata: ["user": "\(actor)", "name": "\(name)", "roles": "\(roles)"])
        return Outcome(.ok(fields: [Field("user", name), Field("roles", roles.joined(separator: ","))]))
    }

    func listUsers() async throws(ServiceFailure) -> Outcome {
        let all = try await storeCall { () async throws(StoreError) in try await store.users() }
        return Outcome(.ok(all.map { user in
            ReplyRecord("user", fields: [
                Field("name", user.name), Field("roles", user.roles.joined(separator: ",")),
                Field("disabled", String(user.disabled)),
            ])
        }, fields: [Field("count", String(all.count))]))
    }

    func changeRoles(_ request: Request, _ session: Session) async throws(ServiceFailure) -> Outcome {
        let roles = try Self.parseRoles(request["roles"] ?? "")
        return try await change(request.positional[0], UserChange(roles: roles), what: "roles", session)
    }

    func setDisabled(_ disabled: Bool, _ request: Request, _ session: Session) async throws(ServiceFailure) -> Outcome {
        try await change(request.positional[0], UserChange(disabled: disabled), what: disabled ? "disabled" : "enabled",
                         session)
    }

    func changePassword(_ request: Request, _ session: Session) async throws(ServiceFailure) -> Outcome {
        let password = try Self.checkPassword(request["password"] ?? "")
        let hash = await PasswordWork.make(password, cost: configuration.passwordCost)
        return try await change(request.positional[0], UserChange(passwordHash: hash), what: "password", session)
    }

    private func change(_ name: String, _ change: UserChange, what: String, _ session: Session)
        async throws(ServiceFailure) -> Outcome
    {
        let actor = session.user ?? ""
        // Only USER PASSWORD on oneself gets here without admin.
        let role = session.roles.contains(SystemRole.admin) ? SystemRole.admin : "user"
        let before = try await storeCall { () async throws(StoreError) in try await store.chainHead(AuditEvent.systemChain) }
        let changed = try await storeCall { () async throws(StoreError) in
            try await store.changeUser(named: name, change, by: actor, role: role, at: clock.now())
        }
        users.invalidate(name)
        await publishUserChange(after: before?.seq ?? 0, actor: actor, name: name)
        logger.info("user changed", metadata: ["user": "\(actor)", "name": "\(name)", "change": "\(what)"])
        return Outcome(.ok(fields: [
            Field("user", changed.name), Field("roles", changed.roles.joined(separator: ",")),
            Field("disabled", String(changed.disabled)),
        ]))
    }

    /// `changeUser` returns the user, not its event: read the system chain's
    /// new events and publish this change's. Other instances' events in
    /// between are left out: their own instances publish them, and on
    /// PostgreSQL they reach this one's watchers through the event relay.
    func publishUserChange(after seq: Int64, actor: String, name: String) async {
        do throws(StoreError) {
            let events = try await store.trail(chain: AuditEvent.systemChain, from: seq + 1, limit: 100)
            publish(events.filter { $0.action == "user.changed" && $0.actor == actor && $0.data["name"] == .string(name) },
                    template: nil, state: nil)
        } catch {
            logger.warning("cannot read system events to publish", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Validation

    /// User names follow the naming rule of templates (lowercase, digits,
    /// single hyphens); `system` is the server's own actor and is reserved.
    static func checkUserName(_ name: String) throws(ServiceFailure) {
        guard Name.isValid(name) else {
            throw .badArgument("bad user name \(name): lowercase letters, digits and single hyphens, starting with a letter")
        }
        guard name != AuditEvent.systemActor else { throw .badArgument("the name system is reserved") }
    }

    /// `a,b,c` → roles: the system roles or valid template role names; an
    /// empty value means no roles. Duplicates are dropped, order kept.
    static func parseRoles(_ text: String) throws(ServiceFailure) -> [String] {
        if text.isEmpty { return [] }
        var roles: [String] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let role = String(part)
            guard SystemRole.all.contains(role) || Name.isValid(role) else {
                throw .badArgument("bad role name \"\(role)\": admin, regulator, or a template role name")
            }
            if !roles.contains(role) { roles.append(role) }
        }
        return roles
    }

    static func checkPassword(_ password: String) throws(ServiceFailure) -> String {
        guard !password.isEmpty else { throw .badArgument("the password must not be empty") }
        guard password.utf8.count <= 1_024 else { throw .badArgument("the password is longer than 1024 bytes") }
        return password
    }
}
