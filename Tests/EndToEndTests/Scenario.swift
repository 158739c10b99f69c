import ControlProtocol
import Foundation
import PostgresTestSupport
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
/// (regulator) and one open case.
struct Scenario {
    let daemon: DaemonProcess
    let root: ProtocolClient
    let caseID: String
    static let password = "scenario-password"

    init(_ backend: Backend, extraArguments: [String] = [], cluster: PostgresTestCluster = .shared) throws {
        daemon = try DaemonProcess(backend: backend, extraArguments: extraArguments, cluster: cluster)
        try daemon.start()
        root = try daemon.client()
        expectOK(try root.send("+TEMPLATE PUT", data: smallTemplate))
        expectOK(try root.send("USER ADD lead roles=lead password=\(Self.password)"))
        expectOK(try root.send("USER ADD lead2 roles=lead password=\(Self.password)"))
        expectOK(try root.send("USER ADD qa roles=qa password=\(Self.password)"))
        expectOK(try root.send("USER ADD reader roles=regulator password=\(Self.password)"))
        let opened = try daemon.client("lead", Self.password)
            .send("CASE OPEN template=small title=\"Scenario case\" attr.sponsor=\"Sponsor AB\"")
        expectOK(opened)
        caseID = opened.records("case").first?["id"] ?? "?"
    }

    func client(_ user: String) throws -> ProtocolClient { try daemon.client(user, Self.password) }
}
