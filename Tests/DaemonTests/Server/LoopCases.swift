import AuditLog
import Foundation
import SocketTestSupport
import Storage
@testable import Daemon

/// Cases of a two-state loop template, for the tests of the change path's
/// shortcuts (early replies, requests read by a lane): a server signed in as
/// alice, cases opened and moved back and forth.
enum LoopCases {
    static let template = """
        template: loop
        roles: { lead: Lead }
        stages: { s: Loop }
        initial: here
        states:
          here: { stage: s, transitions: { forth: { to: there, roles: [lead] }, finish: { to: done, roles: [lead] } } }
          there: { stage: s, transitions: { back: { to: here, roles: [lead] } } }
          done: { stage: s, final: true }
        """

    /// Adds alice (admin and lead) to the server's store and publishes the template.
    static func prepare(_ server: TestServer) async throws {
        _ = try await server.store.addUser(
            StoredUser(name: "alice", roles: ["admin", "lead"], passwordHash: PasswordHash.make(password: "x", cost: .testOnly)),
            by: "system", role: "system", at: Timestamp(seconds: 1_800_000_000))
        let client = try await server.connectGreeted()
        try await client.send("+TEMPLATE PUT\n" + template + "\n.\n")
        let published = try await client.readFinal()
        guard published.hasPrefix("250 ") else { throw ClientError("TEMPLATE PUT answered \(published)") }
    }

    /// Opens a case; its id.
    static func open(_ client: TestClient) async throws -> String {
        try await client.send("CASE OPEN template=loop title=Loop\n")
        let reply = try await client.readReply()
        guard let record = reply.first(where: { $0.hasPrefix("250-case ") }), let id = field("id", in: record) else {
            throw ClientError("CASE OPEN answered \(reply)")
        }
        return id
    }

    /// A `name=value` field of a reply line.
    static func field(_ name: String, in line: String) -> String? {
        line.split(separator: " ").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }
}
