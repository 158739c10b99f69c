import Foundation
import PostgresTestSupport
import SocketTestSupport
import Testing

enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// The end-to-end tests' daemons: the shared `AtmpdProcess` with the
/// repository's Workflows published at start and a first admin `root`
/// (password `root-password`).
extension AtmpdProcess {
    static var workflowArguments: [String] { ["--workflows", BuiltProducts.packageRoot.appendingPathComponent("Workflows").path] }

    /// A daemon on a new database of the given kind, not started yet.
    static func endToEnd(_ backend: Backend, extraArguments: [String] = [], cluster: PostgresTestCluster = .shared)
        throws -> AtmpdProcess
    {
        try AtmpdProcess(database: backend == .postgres ? try cluster.createDatabase(prefix: "atmp_e2e") : nil,
                         users: ["root": "admin"], serveArguments: workflowArguments + extraArguments,
                         directoryPrefix: "atmpd-e2e")
    }

    /// `endToEnd` for async tests: creating the database and the user blocks, so on a thread of its own.
    static func endToEnd(_ backend: Backend, extraArguments: [String] = [], cluster: PostgresTestCluster = .shared)
        async throws -> AtmpdProcess
    {
        try await onOwnThread { try endToEnd(backend, extraArguments: extraArguments, cluster: cluster) }
    }

    /// A second daemon on this one's database (PostgreSQL: several instances
    /// share one), with a directory and socket of its own; not started yet.
    func anotherInstance(extraArguments: [String] = []) throws -> AtmpdProcess {
        try AtmpdProcess(sharing: self, serveArguments: Self.workflowArguments + extraArguments)
    }

    /// A signed-in client.
    func client(_ user: String = "root", _ password: String = "root-password") throws -> ProtocolClient {
        let client = try ProtocolClient(socket: socket)
        try client.authenticate(user, password)
        return client
    }
}
