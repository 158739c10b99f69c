import AuditLog
import ControlProtocol
import Storage

// HELLO, AUTH, peer authentication, and the per-command re-check of the user.
extension CommandService {
    func hello(_ session: Session) -> Outcome {
        var methods = ["password"]
        if offersPeerAuthentication(session) { methods.append("peer") }
        return Outcome(.ok([
            ReplyRecord("server", fields: [Field("name", "atmpd"), Field("version", configuration.version)]),
            ReplyRecord("protocol", fields: [Field("version", "1")]),
            ReplyRecord("auth", fields: [Field("methods", methods.joined(separator: ","))]),
        ]))
    }

    private func offersPeerAuthentication(_ session: Session) -> Bool {
        guard configuration.peerAuthentication, case .unix = session.transport else { return false }
        return true
    }

    func authenticate(_ request: Request, session: inout Session) async throws(ServiceFailure) -> Outcome {
        if let user = session.user {
            throw .badSequence("already signed in as \(user); open a new connection to sign in as someone else")
        }
        let name = request["user"] ?? ""
        let password = request["password"] ?? ""
        guard mayCheckPassword(of: name) else {
            throw await authFailure(user: name, reason: "too many recent failures for this user", session: &session)
        }
        let stored = try await storeCall { () async throws(StoreError) in try await users.user(named: name) }
        guard let stored else {
            // Spend the same time as for a real user, so names cannot be probed by timing.
            _ = await PasswordWork.verify(password, against: decoyHash)
            throw await authFailure(user: name, reason: "unknown user", session: &session)
        }
        guard await PasswordWork.verify(password, against: stored.passwordHash) else {
            throw await authFailure(user: name, reason: "wrong password", session: &session)
        }
        guard !stored.disabled else {
            throw await authFailure(user: name, reason: "user disabled", session: &session)
        }
        signInThrottle.withLock { $0.succeeded(name) }
        session.user = stored.name
        session.roles = Set(stored.roles)
        logger.info("signed in", metadata: ["session": "\(session.id)", "user": "\(stored.name)"])
        return Outcome(.ok(words: [], fields: [Field("user", stored.name), Field("roles", stored.roles.joined(separator: ","))]))
    }

    /// Records `auth.failed`, counts the failure on the session and builds the
    /// 535 reply: delayed 100 ms × 2^(n−1) (at most 2 s) for the n-th failure,
    /// and closing the connection once `maxAuthFailures` is reached. The reply
    /// never says whether the user exists.
    func authFailure(user: String, reason: String, session: inout Session) async -> ServiceFailure {
        let now = clock.now()
        signInThrottle.withLock { $0.failed(user, now: now) }
        session.authFailures += 1
        let failures = session.authFailures
        do throws(StoreError) {
            let event = try await store.recordAuthFailure(
                user: user, reason: reason, peer: session.peerDescription, at: now)
            publish([event], template: nil, state: nil)
        } catch {
            logger.error("cannot record auth.failed", metadata: ["error": "\(error)"])
        }
        logger.notice("authentication failed", metadata: [
            "session": "\(session.id)", "user": "\(user)", "reason": "\(reason)", "failures": "\(failures)",
        ])
        let close = failures >= configuration.maxAuthFailures
        return ServiceFailure(
            .authFailed(close ? "authentication failed; too many failures, closing" : "authentication failed"),
            delay: Self.authDelay(failures: failures), close: close)
    }

    /// Whether `user`'s password may be checked now (`SignInThrottle`); when
    /// not, the attempt is a failure whatever the password.
    func mayCheckPassword(of user: String) -> Bool {
        let now = clock.now()
        return signInThrottle.withLock { $0.mayTry(user, now: now) }
    }

    /// 100 ms, 200 ms, 400 ms … for the 1st, 2nd, 3rd failure; never more than 2 s.
    static func authDelay(failures: Int) -> Duration {
        let exponent = min(max(failures - 1, 0), 5)
        return min(Duration.milliseconds(100 * (1 << exponent)), Duration.seconds(2))
    }

    /// Peer authentication on the Unix socket: signs the session in as the
    /// ATMP user named like the peer's OS user, if peer authentication is
    /// configured and that user exists and is enabled. Called by the network
    /// layer on connect; false leaves the session signed out (AUTH still works).
    public func authenticatePeer(session: inout Session) async -> Bool {
        guard configuration.peerAuthentication, case .unix(_, let peerUser) = session.transport,
              let peerUser, !session.isAuthenticated
        else { return false }
        let stored: StoredUser?
        do throws(StoreError) { stored = try await users.user(named: peerUser) } catch {
            logger.warning("peer authentication: cannot read user", metadata: ["error": "\(error)"])
            return false
        }
        guard let stored, !stored.disabled else { return false }
        session.user = stored.name
        session.roles = Set(stored.roles)
        logger.info("signed in by peer credentials", metadata: ["session": "\(session.id)", "user": "\(stored.name)"])
        return true
    }

    /// Re-reads the signed-in user before every command: a disabled or
    /// removed user is signed out (the command then gets 530), and role
    /// changes apply from the next command on.
    func refreshPrincipal(_ session: inout Session) async throws(ServiceFailure) {
        guard let name = session.user else { return }
        let stored = try await storeCall { () async throws(StoreError) in try await users.user(named: name) }
        guard let stored, !stored.disabled else {
            logger.notice("signed out: user disabled or removed", metadata: ["session": "\(session.id)", "user": "\(name)"])
            session.user = nil
            session.roles = []
            session.watch = nil
            return
        }
        session.roles = Set(stored.roles)
    }
}
