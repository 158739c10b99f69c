import AuditLog
import ControlProtocol
import Foundation
import Logging
import PostgresTestSupport
import Storage
import Synchronization
import Testing
@testable import Daemon

/// The two stores the service tests run against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// A wall clock the test moves by hand.
final class ManualClock: Sendable {
    private let time = Mutex(Timestamp(seconds: 1_900_000_000))
    var now: Timestamp { time.withLock { $0 } }
    func advance(seconds: Int64) { time.withLock { $0 = $0.adding(seconds: seconds) } }
    func advance(microseconds: Int64) { time.withLock { $0 = Timestamp(microseconds: $0.microseconds + microseconds) } }
    var wallClock: WallClock { WallClock { [self] in now } }
}

/// A command service over a fresh, migrated database, driven without sockets.
struct ServiceFixture: Sendable {
    let service: CommandService
    let store: SQLStore
    let clock: ManualClock
    let hub: EventHub
    /// Set when made with `interposed: true`: failures can be injected in front of the store.
    let interposed: InterposedStore?
    let location: DatabaseLocation
    static let password = "correct horse"

    /// Another service on the same database, with a store and caches of its
    /// own: a second atmpd instance.
    func secondInstance() async throws -> CommandService {
        var logger = Logger(label: "atmp.test.service.second")
        logger.logLevel = .critical
        let store = try await SQLStore.open(location, logger: logger)
        var configuration = ServiceConfiguration()
        configuration.passwordCost = .testOnly
        return CommandService(store: store, configuration: configuration, hub: EventHub(), clock: clock.wallClock,
                              logger: logger)
    }

    static func make(_ backend: Backend = .sqlite, interposed: Bool = false, configure: (inout ServiceConfiguration) -> Void = { _ in })
        async throws -> ServiceFixture
    {
        let location: DatabaseLocation
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("atmp-svc-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            location = .sqlite(path: directory.appendingPathComponent("atmp.db").path)
        case .postgres:
            location = .postgres(connectionString: try PostgresTestCluster.shared.createDatabase(prefix: "atmp_svc"))
        }
        var logger = Logger(label: "atmp.test.service")
        logger.logLevel = .critical
        let store = try await SQLStore.open(location, logger: logger)
        _ = try await store.migrate()
        var configuration = ServiceConfiguration()
        configuration.passwordCost = .testOnly
        configure(&configuration)
        let clock = ManualClock()
        let hub = EventHub()
        let interposer = interposed ? InterposedStore(store) : nil
        let service = CommandService(store: interposer ?? store, configuration: configuration, hub: hub, clock: clock.wallClock,
                                     logger: logger)
        let fixture = ServiceFixture(service: service, store: store, clock: clock, hub: hub, interposed: interposer,
                                     location: location)
        try await fixture.addUser("root", roles: ["admin"])
        return fixture
    }

    /// Adds a user straight into the store (as the offline `atmpd user add` would).
    func addUser(_ name: String, roles: [String], password: String = ServiceFixture.password) async throws {
        _ = try await store.addUser(
            StoredUser(name: name, roles: roles, passwordHash: PasswordHash.make(password: password, cost: .testOnly)),
            by: "system", role: "system", at: clock.now)
    }

    /// A session already signed in as `user` (the service re-reads the user's roles at every command).
    func session(_ user: String?) -> Session {
        var session = Session(id: 1, transport: .tcp(peer: "127.0.0.1:1"))
        session.user = user
        return session
    }

    /// Parses and runs one request line, as the network layer would.
    @discardableResult
    func run(_ line: String, data: String? = nil, _ session: inout Session) async throws -> Outcome {
        let request = try #require(try RequestParser().parse(line))
        return await service.handle(request, data: data, session: &session)
    }

    /// Runs as a fresh session of `user`.
    @discardableResult
    func run(_ line: String, data: String? = nil, as user: String) async throws -> Outcome {
        var session = session(user)
        return try await run(line, data: data, &session)
    }

    /// Publishes the test templates as root.
    func publishTemplates() async throws {
        for body in [trialTemplate, otherTemplate] {
            let outcome = try await run("+TEMPLATE PUT", data: body, as: "root")
            #expect(outcome.reply.code == .ok, "\(outcome.reply)")
        }
    }

    /// Opens a trial case as `user`; returns its id.
    func openTrialCase(as user: String = "alice", title: String = "Trial") async throws -> String {
        let outcome = try await run(
            "CASE OPEN template=trial title=\(Quoting.quotedIfNeeded(title)) attr.sponsor=Acme", as: user)
        return try #require(outcome.reply.records.first?["id"], "\(outcome.reply)")
    }
}

extension Outcome {
    var code: ReplyCode { reply.code }
    var errorKey: String? { reply.error?.key.rawValue }
    var status: ReplyRecord? { reply.status }
    func records(_ type: String) -> [ReplyRecord] { reply.records.filter { $0.type == type } }
}

let hexA = String(repeating: "a", count: 64)

/// A small template with every kind of requirement, a deadline and a clock.
let trialTemplate = """
    template: trial
    title: Trial template
    roles:
      author: Author
      reviewer: Reviewer
    attributes:
      sponsor: { title: Sponsor, required: true }
      phase: { title: Phase, values: [one, two] }
    documents:
      protocol: Trial protocol
    stages:
      work: Work
    clocks:
      review-clock: { title: Review, days: 10 }
    initial: draft
    states:
      draft:
        stage: work
        deadline: 5d
        transitions:
          submit:
            to: review
            roles: [author]
            when: { phase: [two] }
            requires:
              documents: [protocol]
              signatures:
                - { role: reviewer, meaning: reviewed }
      review:
        stage: work
        clock: { start: review-clock }
        transitions:
          approve:
            to: done
            roles: [reviewer]
      done:
        stage: work
        final: true

    """

/// A second template whose role nobody in the trial holds.
let otherTemplate = """
    template: other
    roles: { outsider: Outsider }
    stages: { work: Work }
    initial: start
    states:
      start: { stage: work, transitions: { finish: { to: end, roles: [outsider] } } }
      end: { stage: work, final: true }

    """
