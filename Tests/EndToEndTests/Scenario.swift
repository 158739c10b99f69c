import ControlProtocol
import Foundation
import PostgresTestSupport
import SocketTestSupport
import Testing

/// A small template for the protocol tests: one document, one signature, a
/// required reason, and a final state.
let smallTemplate = """
    template: small
    title: Small test workflow
    roles: { lead: Lead, qa: Quality assurance }
    attributes:
      sponsor: { title: Sponsor, required: true }
    documents: { report: Report }
    stages: { work: Work, done: Done }
    initial: draft
    states:
      draft:
        stage: work
        title: Draft
        transitions:
          submit:
            to: review
            roles: [lead]
            requires:
              documents: [report]
              signatures: [{ role: qa, meaning: approved }]
      review:
        stage: work
        title: Review
        transitions:
          accept: { to: accepted, roles: [lead], reason: required }
          return: { to: draft, roles: [lead] }
      accepted: { stage: done, title: Accepted, final: true, outcome: in-use }
    """

/// A running daemon with `small` published, users `lead`, `qa`, `reader`
/// (regulator) and one open case. The test stops `daemon` (in a `defer`);
/// if setting up fails, the daemon is stopped here.
struct Scenario {
    let daemon: AtmpdProcess
    let root: ProtocolClient
    let caseID: String
    static let password = "scenario-password"

    /// For synchronous tests: waits for the daemon with blocking sleeps.
    init(_ backend: Backend, extraArguments: [String] = [], cluster: PostgresTestCluster = .shared) throws {
        let daemon = try AtmpdProcess.endToEnd(backend, extraArguments: extraArguments, cluster: cluster)
        do {
            try daemon.startBlocking()
            let (root, caseID) = try Self.populate(daemon)
            self.root = root
            self.caseID = caseID
        } catch {
            daemon.stopBlocking()
            throw error
        }
        self.daemon = daemon
    }

    private init(running daemon: AtmpdProcess, root: ProtocolClient, caseID: String) {
        self.daemon = daemon
        self.root = root
        self.caseID = caseID
    }

    /// For async tests: nothing here holds a cooperative thread while it waits
    /// (the requests that fill the daemon are quick local round trips).
    static func start(_ backend: Backend, extraArguments: [String] = [], cluster: PostgresTestCluster = .shared)
        async throws -> Scenario
    {
        let daemon = try await AtmpdProcess.endToEnd(backend, extraArguments: extraArguments, cluster: cluster)
        do {
            try await daemon.start()
            let (root, caseID) = try populate(daemon)
            return Scenario(running: daemon, root: root, caseID: caseID)
        } catch {
            await daemon.stop()
            throw error
        }
    }

    /// Runs `body` with a started scenario, then stops its daemon whether
    /// `body` returned or threw (an async test's `defer` cannot await).
    static func with<T>(_ backend: Backend, extraArguments: [String] = [], cluster: PostgresTestCluster = .shared,
                        isolation: isolated (any Actor)? = #isolation, _ body: (Scenario) async throws -> T)
        async throws -> T
    {
        let s = try await start(backend, extraArguments: extraArguments, cluster: cluster)
        return try await s.daemon.stopping { try await body(s) }
    }

    /// Publishes `small`, adds the users and opens the case; root's client and the case.
    private static func populate(_ daemon: AtmpdProcess) throws -> (ProtocolClient, String) {
        let root = try daemon.client()
        expectOK(try root.send("+TEMPLATE PUT", data: smallTemplate))
        expectOK(try root.send("USER ADD lead roles=lead password=\(Self.password)"))
        expectOK(try root.send("USER ADD lead2 roles=lead password=\(Self.password)"))
        expectOK(try root.send("USER ADD qa roles=qa password=\(Self.password)"))
        expectOK(try root.send("USER ADD reader roles=regulator password=\(Self.password)"))
        let opened = try daemon.client("lead", Self.password)
            .send("CASE OPEN template=small title=\"Scenario case\" attr.sponsor=\"Sponsor AB\"")
        expectOK(opened)
        return (root, opened.records("case").first?["id"] ?? "?")
    }

    func client(_ user: String) throws -> ProtocolClient { try daemon.client(user, Self.password) }
}
