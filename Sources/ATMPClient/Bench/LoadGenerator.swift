import ControlProtocol

/// The load generator behind `atmpctl bench`: opens bench-loop cases over N
/// connections, then advances them as fast as the daemon acknowledges, each
/// connection on its own OS thread with the blocking client.
public enum LoadGenerator {
    /// What `prepare` found or did.
    public struct Preparation: Sendable, Hashable {
        /// The template was missing and this run published it.
        public var published: Bool
        public var identity: Identity?
    }

    /// Makes sure the signed-in user may drive bench cases and that the daemon
    /// has `bench-loop`, publishing it when it does not. Checking the role
    /// first means a user who could not advance anything publishes nothing.
    public static func prepare(_ target: BenchTarget) throws(ClientError) -> Preparation {
        let (connection, identity) = try target.connect()
        defer { try? connection.quit() }
        if let identity, !identity.roles.contains(BenchLoop.role) {
            throw forbidden("user \(identity.user) cannot advance bench cases: that needs the template role "
                + "\(BenchLoop.role) (roles now: \(rolesText(identity))); an admin can grant it with "
                + "atmpctl user roles \(identity.user) --roles \((identity.roles + [BenchLoop.role]).joined(separator: ","))")
        }
        do throws(ClientError) {
            _ = try connection.showTemplate(BenchLoop.templateName)
            return Preparation(published: false, identity: identity)
        } catch .refused(let failure) where failure.code == .notFound {
            if let identity, !identity.roles.contains("admin") {
                throw forbidden("the daemon has no template \(BenchLoop.templateName) and publishing it needs the "
                    + "admin role (user \(identity.user) has roles \(rolesText(identity))): run bench once as an admin "
                    + "who also holds \(BenchLoop.role)")
            }
        }
        _ = try connection.putTemplate(BenchLoop.yaml)
        return Preparation(published: true, identity: identity)
    }

    /// Opens the cases, runs for the configured duration, and merges what
    /// every connection saw. A failure while opening ends the whole run (there
    /// is nothing to measure); a failure while advancing ends that connection
    /// only, and is reported in the result.
    public static func run(_ configuration: BenchConfiguration, target: BenchTarget) throws(ClientError) -> BenchResult {
        let clock = ContinuousClock()
        let setupStart = clock.now
        let sessions = try openSessions(configuration, target: target)
        let setup = clock.now - setupStart

        let start = clock.now
        let deadline = start + configuration.duration
        let slots = sessions.map { _ in ThreadSlot<ConnectionOutcome?>(nil) }
        var threads: [OSThread] = []
        var startFailure: ClientError?
        for (k, session) in sessions.enumerated() {
            let slot = slots[k]
            do {
                threads.append(try OSThread { [session] in
                    slot.value = drive(session, depth: configuration.pipeline, start: start, deadline: deadline)
                })
            } catch {
                startFailure = error
                break
            }
        }
        for thread in threads { thread.join() }
        if let startFailure { throw startFailure }
        return BenchResult(configuration, outcomes: slots.map { $0.value ?? ConnectionOutcome() }, setup: setup)
    }

    /// One connection's state between opening and driving: handed from the
    /// opening thread to the driving thread through a join.
    final class Session: @unchecked Sendable {
        let connection: ControlConnection
        var rotation: CaseRotation

        init(connection: ControlConnection, rotation: CaseRotation) {
            self.connection = connection
            self.rotation = rotation
        }
    }

    /// Connects N times in parallel, each connection opening the cases it owns.
    static func openSessions(_ configuration: BenchConfiguration, target: BenchTarget) throws(ClientError) -> [Session] {
        let slots = (0..<configuration.connections).map { _ in ThreadSlot<Result<Session, ClientError>?>(nil) }
        var threads: [OSThread] = []
        for k in 0..<configuration.connections {
            let slot = slots[k]
            let numbers = configuration.caseNumbers(ownedBy: k)
            threads.append(try OSThread {
                slot.value = Result { () throws(ClientError) -> Session in try openSession(numbers, target: target) }
            })
        }
        for thread in threads { thread.join() }
        var sessions: [Session] = []
        for slot in slots {
            switch slot.value {
            case .success(let session): sessions.append(session)
            case .failure(let error): throw error
            case nil: throw .io("a connection thread ended without a result")
            }
        }
        return sessions
    }

    static func openSession(_ numbers: [Int], target: BenchTarget) throws(ClientError) -> Session {
        let (connection, _) = try target.connect()
        var entries: [CaseRotation.Entry] = []
        entries.reserveCapacity(numbers.count)
        for number in numbers {
            let reply = try connection.openCase(template: BenchLoop.templateName, title: "bench case \(number + 1)")
            guard let record = reply.records.first(where: { $0.type == "case" }), let id = record["id"] else {
                throw .malformedReply("CASE OPEN answered without a case id")
            }
            entries.append(CaseRotation.Entry(id: id, state: record["state"] ?? BenchLoop.initialState))
        }
        return Session(connection: connection, rotation: CaseRotation(entries))
    }

    /// Advances the session's cases until `deadline`, keeping up to `depth`
    /// requests in flight, then collects the replies still owed.
    static func drive(_ session: Session, depth: Int, start: ContinuousClock.Instant,
                      deadline: ContinuousClock.Instant) -> ConnectionOutcome {
        let clock = ContinuousClock()
        let connection = session.connection
        var outcome = ConnectionOutcome()
        var pending = PendingRequests(capacity: depth)
        var now = clock.now
        do throws(ClientError) {
            while true {
                while pending.count < depth, now < deadline, let next = session.rotation.next() {
                    let sent = clock.now
                    try connection.write(Request(verb: ["CASE", "ADVANCE"], positional: [next.id, next.transition]))
                    pending.push(.init(index: next.index, transition: next.transition, sent: sent))
                }
                guard let request = pending.first else { break }
                let reply = try connection.readReply()
                now = clock.now
                pending.removeFirst()
                _ = outcome.latency.record((now - request.sent).microseconds)
                outcome.replies[reply.code.rawValue, default: 0] += 1
                if reply.code == .ok {
                    outcome.acknowledged += 1
                    let state = reply.records.first(where: { $0.type == "case" })?["state"]
                    session.rotation.acknowledged(request.index, transition: request.transition, state: state)
                } else {
                    session.rotation.refused(request.index)
                }
            }
        } catch {
            outcome.failure = error
            now = clock.now
        }
        outcome.busy = now - start
        if outcome.failure == nil { try? connection.quit() } else { connection.close() }
        return outcome
    }

    static func forbidden(_ text: String) -> ClientError {
        .refused(ReplyFailure(code: .forbidden, key: "forbidden", text: text))
    }

    static func rolesText(_ identity: Identity) -> String {
        identity.roles.isEmpty ? "none" : identity.roles.joined(separator: ",")
    }
}

/// The requests a connection has sent and not yet had answered, oldest
/// first: a fixed ring, since replies come back in request order.
struct PendingRequests {
    struct Sent {
        var index: Int
        var transition: String
        var sent: ContinuousClock.Instant
    }

    private var ring: [Sent?]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) { ring = Array(repeating: nil, count: max(1, capacity)) }

    var first: Sent? { count == 0 ? nil : ring[head] }

    mutating func push(_ sent: Sent) {
        precondition(count < ring.count, "more requests in flight than the pipeline allows")
        ring[(head + count) % ring.count] = sent
        count += 1
    }

    mutating func removeFirst() {
        guard count > 0 else { return }
        ring[head] = nil
        head = (head + 1) % ring.count
        count -= 1
    }
}
