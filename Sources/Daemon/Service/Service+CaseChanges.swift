import AuditLog
import CaseEngine
import ControlProtocol
import Storage
import Workflow

// CASE OPEN, ADVANCE, ATTACH, SIGN, HOLD, RESUME, NOTE, SET: load, authorize,
// let the engine decide, seal, commit in one transaction, publish.
//
// Concurrency: when another change to the case lands between our load and our
// commit, the store answers conflict. Without `expect=` the change is decided
// once more on the fresh case and committed (one retry): safe, because the
// engine re-checks everything on the new state. With `expect=` the client
// asked for exactly that version, so the answer is 450 and nothing is retried.
extension CommandService {
    /// A decided change, ready to commit.
    struct PreparedChange {
        var write: CaseWrite
        var events: [AuditEvent]
        var after: Case
    }

    func openCase(_ request: Request, _ session: Session) async throws(ServiceFailure) -> Outcome {
        let principal = session.principal!
        let name = request["template"]!
        let version = try Arguments.version(request)
        let title = request["title"]!
        let attributes = Self.attributes(of: request)
        return try await performChange(request, principal: principal, mayRetry: true,
                                       earlyReplies: session.earlyReplies) { () async throws(ServiceFailure) in
            let entry = try await templateEntry(name, version: version)
            guard Authorization.mayChange(entry.template, principal) else {
                throw .forbidden("\(principal.name) holds no role of template \(name)")
            }
            let id = try await storeCall { () async throws(StoreError) in try await store.allocateCaseID() }
            let command = CaseCommand.open(OpenCase(
                id: id, templateVersion: entry.stored.version, title: title, attributes: attributes))
            return try decideAndSeal(command, on: nil, caseID: id, template: entry.template, principal: principal)
        }
    }

    func changeCase(_ request: Request, session: inout Session) async throws(ServiceFailure) -> Outcome {
        let principal = session.principal!
        let id = request.positional[0]
        let expect = try Arguments.integer(request, "expect", in: 0...Int64.max)
        let command = try Self.caseCommand(request)
        if case .sign = command {
            // 21 CFR 11.200: the password is given again for every signature.
            guard mayCheckPassword(of: principal.name) else {
                throw await authFailure(user: principal.name, reason: "too many recent failures for this user",
                                        session: &session)
            }
            let stored = try await storeCall { () async throws(StoreError) in try await users.user(named: principal.name) }
            guard let stored, await PasswordWork.verify(request["password"] ?? "", against: stored.passwordHash) else {
                throw await authFailure(user: principal.name, reason: "wrong password when signing", session: &session)
            }
        }
        return try await performChange(request, principal: principal, mayRetry: expect == nil,
                                       earlyReplies: session.earlyReplies) { () async throws(ServiceFailure) in
            var stored = caseCache.get(id)
            var fromStore = false
            if stored == nil || (expect != nil && stored?.case.version != expect) {
                // Not cached, or the cache may lag behind another instance: ask the store.
                stored = try await storeCall { () async throws(StoreError) in try await store.loadCase(id: id) }
                fromStore = true
            }
            guard let stored else { throw .notFound("no case \(id)") }
            let entry = try await templateEntry(stored.case.template, version: stored.case.templateVersion)
            guard Authorization.mayChange(entry.template, principal) else {
                // Readers learn they may not change it; everyone else that it does not exist.
                if Authorization.mayRead(entry.template, principal) {
                    throw .forbidden("\(principal.name) holds no role of template \(entry.template.name); reading only")
                }
                throw .notFound("no case \(id)")
            }
            // Cached only for those who may change it: nobody else can fill
            // (or churn) the cache by naming cases.
            if fromStore { caseCache.put(stored) }
            if let expect, expect != stored.case.version {
                metrics.conflict()
                throw ServiceFailure(.versionConflict("case \(id) is at version \(stored.case.version), not \(expect)"))
            }
            do throws(ServiceFailure) {
                return try decideAndSeal(command, on: stored.case, caseID: id, template: entry.template, principal: principal)
            } catch where !fromStore {
                // A refusal decided on the cached case may be the cache's: the
                // case may have moved on through another instance, or through
                // a change whose reply has just left (a client may act on it
                // at once, on another connection). A commit would catch that;
                // a refusal commits nothing, so it is checked against the store.
                let fresh = try await storeCall { () async throws(StoreError) in try await store.loadCase(id: id) }
                guard let fresh, fresh.case.version != stored.case.version else { throw error }
                caseCache.put(fresh)
                return try decideAndSeal(command, on: fresh.case, caseID: id, template: entry.template, principal: principal)
            }
        }
    }

    /// The engine's command for a change request (arguments already shape-checked).
    static func caseCommand(_ request: Request) throws(ServiceFailure) -> CaseCommand {
        switch request.command {
        case "CASE ADVANCE":
            return .advance(transition: request.positional[1], reason: request["reason"])
        case "CASE ATTACH":
            let sha256 = request["sha256"]!.lowercased()
            guard Arguments.isSHA256(sha256) else {
                throw .badArgument("sha256= must be 64 hexadecimal digits (the SHA-256 of the document)")
            }
            return .attach(Attachment(kind: request["document"]!, sha256: sha256, uri: request["uri"],
                                      title: request["title"], reason: request["reason"]))
        case "CASE SIGN":
            return .sign(transition: request.positional[1], meaning: request["meaning"]!, reason: request["reason"])
        case "CASE HOLD": return .hold(reason: request["reason"]!)
        case "CASE RESUME": return .resume(reason: request["reason"]!)
        case "CASE NOTE": return .note(text: request["text"]!)
        case "CASE SET":
            let values = attributes(of: request)
            guard !values.isEmpty else { throw .badArgument("CASE SET needs at least one attr.KEY=VALUE") }
            return .setAttributes(values, reason: request["reason"])
        default:
            throw ServiceFailure(.unknownCommand("unknown command \(request.command)"))
        }
    }

    static func attributes(of request: Request) -> [String: String] {
        var values: [String: String] = [:]
        for field in request.keyed where field.key.hasPrefix("attr.") {
            values[String(field.key.dropFirst(5))] = field.value
        }
        return values
    }

    /// Decides, seals the events onto the case's chain and builds the write.
    func decideAndSeal(_ command: CaseCommand, on current: Case?, caseID: String, template: Template,
                       principal: Principal) throws(ServiceFailure) -> PreparedChange {
        let decided: [CaseEvent]
        switch CaseEngine.decide(command, on: current, template: template, by: principal, at: clock.now()) {
        case .success(let events): decided = events
        case .failure(let rejection): throw ServiceFailure(rejection)
        }
        return Self.seal(decided, onto: current, caseID: caseID, template: template)
    }

    /// Seals events onto the chain's head, applies them, and builds the write
    /// (expected version = the version decided on; 0 for a new case).
    static func seal(_ decided: [CaseEvent], onto current: Case?, caseID: String, template: Template) -> PreparedChange {
        let expected = current?.version ?? 0
        var seq = expected
        var prev = current?.head ?? AuditEvent.genesisPrev
        var state = current
        var sealed: [AuditEvent] = []
        for event in decided {
            seq += 1
            let audit = event.sealed(chain: caseID, seq: seq, prev: prev)
            state = CaseEngine.evolve(state, event, caseID: caseID, seq: seq, hash: audit.hash, template: template)
            prev = audit.hash
            sealed.append(audit)
        }
        let after = state!
        let schedule = CaseEngine.overdueSchedule(after, template: template)
        let stored = StoredCase(case: after, overdueAt: schedule.overdueAt, alarmAt: schedule.alarmAt)
        return PreparedChange(write: CaseWrite(stored: stored, expectedVersion: expected, events: sealed),
                              events: sealed, after: after)
    }

    /// Idempotency, commit, one retry on a concurrent change, publishing and
    /// logging. With `earlyReplies`, the success reply leaves as soon as the
    /// change is durable (the rest — cache, watchers, metrics — follows).
    private func performChange(_ request: Request, principal: Principal, mayRetry: Bool,
                               earlyReplies: (any EarlyReplies)?,
                               prepare: () async throws(ServiceFailure) -> PreparedChange)
        async throws(ServiceFailure) -> Outcome
    {
        let key = request["idem"]
        let digest = key == nil ? "" : Idempotency.digest(request)
        var attempt = 0
        while true {
            attempt += 1
            if let key, let replayed = try await replayIfRepeated(user: principal.name, key: key, digest: digest) {
                return replayed
            }
            var prepared = try await prepare()
            let reply = Reply.ok([CaseRecords.changed(prepared.after)])
            if let key {
                prepared.write.idempotency = IdempotencyRecord(
                    user: principal.name, key: key, digest: digest, reply: Idempotency.encode(reply),
                    expires: clock.now().adding(seconds: configuration.idempotencyTTLSeconds))
            }
            let sendEarly = earlyReplies?.whenDurable(send: reply)
            let stored = prepared.write.stored
            let whenDurable: @Sendable () -> Void = { [caseCache] in
                // The cache first: a client acting on the reply at once, on
                // another connection, finds the case as it now is.
                caseCache.put(stored)
                sendEarly?()
            }
            do throws(StoreError) {
                try await store.commit(prepared.write, whenDurable: whenDurable)
            } catch let error where error.code == .conflict {
                metrics.conflict()
                // Decided on a version that is no longer current: whatever is
                // cached for the case is stale, so the retry reads the store.
                caseCache.remove(prepared.after.id)
                // A keyed request may have lost the race to its own twin: the loop replays it.
                if attempt == 1 && (mayRetry || key != nil) { continue }
                // The retry too may lose to the twin (the first try decided on
                // a stale cached version, the twin committed during the retry).
                if let key, let replayed = try await replayIfRepeated(user: principal.name, key: key, digest: digest) {
                    return replayed
                }
                throw ServiceFailure(.versionConflict("case \(prepared.after.id) changed meanwhile; re-read and retry"))
            } catch {
                // Perhaps written, perhaps not (the connection may have died
                // after the commit): only the store can tell.
                caseCache.remove(prepared.after.id)
                throw storeFailure(error)
            }
            metrics.changeCommitted(events: prepared.events.count)
            publish(prepared.events, template: prepared.after.template, state: prepared.after.state)
            logger.info("case changed", metadata: [
                "user": "\(principal.name)", "command": "\(request.command)", "case": "\(prepared.after.id)",
                "version": "\(prepared.after.version)",
            ])
            return Outcome(reply)
        }
    }

    /// The first reply again when this user already used `key` for the same
    /// request; 555 when they used it for another one; nil when it is new.
    private func replayIfRepeated(user: String, key: String, digest: String) async throws(ServiceFailure) -> Outcome? {
        let now = clock.now()
        let record = try await storeCall { () async throws(StoreError) in
            try await store.idempotency(user: user, key: key, now: now)
        }
        guard let record else { return nil }
        guard record.digest == digest else {
            throw ServiceFailure(.idempotencyMismatch("idem=\(key) was used for a different request"))
        }
        guard let reply = Idempotency.replay(record.reply) else {
            logger.error("stored idempotent reply does not parse", metadata: ["user": "\(user)", "key": "\(key)"])
            throw ServiceFailure(.storageUnavailable("the stored reply for idem=\(key) cannot be read"))
        }
        return Outcome(reply)
    }
}
