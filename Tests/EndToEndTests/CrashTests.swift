import ControlProtocol
import Foundation
import PostgresTestSupport
import Testing

/// Faults under load with real processes: atmpd killed with SIGKILL, and
/// PostgreSQL restarted under a running atmpd. The promise checked is the
/// protocol's: a `250` means the change is durable in its chain; anything
/// else is a refusal (`450`, `451`) or a dropped connection, never a wrong answer.
@Suite("Crashes under load", .serialized)
struct CrashTests {
    static let loadClients = 4

    /// Opens one case per load client, so the clients do not conflict with each other.
    static func openCases(_ s: Scenario, count: Int) throws -> [String] {
        let lead = try s.client("lead")
        return try (0..<count).map { i in
            let opened = try lead.send("CASE OPEN template=small title=\"Load \(i)\" attr.sponsor=S")
            return try #require(opened.records("case").first?["id"], "\(opened)")
        }
    }

    @Test(arguments: Backend.allCases)
    func killNineUnderLoadLosesNoAcknowledgedChange(_ backend: Backend) throws {
        let s = try Scenario(backend)
        defer { s.daemon.stopBlocking() }
        let cases = try Self.openCases(s, count: Self.loadClients)
        let load = LoadClients()
        load.start(socket: s.daemon.socket, cases: cases, user: "lead", password: Scenario.password, reconnect: false)

        // Two seconds of load, and at least some acknowledged changes per client.
        let started = Date()
        let loaded = poll(seconds: 60) { Date().timeIntervalSince(started) >= 2 && load.log.ackCount >= 8 * Self.loadClients }
        s.daemon.crashBlocking()
        #expect(load.stopAndWait(), "load clients did not finish")
        #expect(loaded, "too little load before the kill: \(load.log.summary)")
        #expect(load.log.unexpectedReplies.isEmpty, "\(load.log.unexpectedReplies.prefix(5))")
        print("kill -9 (\(backend)): \(load.log.ackCount) acknowledged; \(load.log.summary)")

        // Same database, new process.
        try s.daemon.startBlocking()
        let root = try s.daemon.client()
        try expectAllAcknowledgedPresent(load.log.acks, root)
        expectOK(try root.send("AUDIT VERIFY"))

        // And the chains take new changes, right after their heads.
        let lead = try s.client("lead")
        for caseID in cases {
            let head = try #require(Int(lead.send("CASE SHOW \(caseID)").records("case").first?["version"] ?? ""))
            let after = try lead.send("CASE NOTE \(caseID) text=\"after the crash\"")
            expectOK(after)
            #expect(after.records("case").first?["version"] == String(head + 1))
        }
        expectOK(try root.send("AUDIT VERIFY"))
    }

    /// PostgreSQL goes away and comes back while clients keep writing. atmpd
    /// is not restarted: it answers 451 (or drops a connection) while the
    /// database is gone and 250 again soon after it is back.
    @Test func postgresRestartMidLoad() throws {
        // A cluster of our own: restarting the shared one would cut every other test.
        let cluster = PostgresTestCluster(useEnvironmentDatabase: false)
        defer { cluster.stop() }
        let s = try Scenario(.postgres, cluster: cluster)
        defer { s.daemon.stopBlocking() }
        let daemonPID = try #require(s.daemon.processIdentifier)
        let cases = try Self.openCases(s, count: Self.loadClients + 1)
        let probeCase = cases.last!
        let load = LoadClients()
        load.start(socket: s.daemon.socket, cases: Array(cases.dropLast()), user: "lead", password: Scenario.password,
                   reconnect: true)
        #expect(poll(seconds: 60) { load.log.ackCount >= 8 * Self.loadClients }, "no load: \(load.log.summary)")

        try cluster.restart()
        let restarted = Date()

        // A probe notes until it is acknowledged again; its replies obey the same rules.
        var probe: ProtocolClient?
        var attempt = 0
        let recovered = poll(seconds: 60, every: 0.05) {
            attempt += 1
            let text = "probe-\(attempt)"
            do {
                if probe == nil { probe = LoadClients.signIn(socket: s.daemon.socket, user: "lead", password: Scenario.password, log: load.log) }
                guard let probe else { return false }
                let reply = try probe.send("CASE NOTE \(probeCase) text=\(text)")
                LoadClients.record(reply, caseID: probeCase, text: text, log: load.log)
                return reply.code == .ok
            } catch let error as ClientError where LoadClients.isDrop(error) {
                probe = nil
                return false
            } catch {
                probe = nil
                load.log.odd("probe: \(error)")
                return false
            }
        }
        let recoverySeconds = Date().timeIntervalSince(restarted)
        // The load clients also get through again after the restart.
        let loadRecovered = poll(seconds: 30) {
            Set(load.log.acks.filter { $0.at > restarted }.map(\.caseID)).count == cases.count
        }
        #expect(load.stopAndWait(), "load clients did not finish")
        print(String(format: "PostgreSQL restart: first 250 again %.2f s after restart() returned; ", recoverySeconds)
              + "\(load.log.ackCount) acknowledged; \(load.log.summary)")

        #expect(recovered, "atmpd did not answer 250 again within 60 s: \(load.log.summary)")
        #expect(loadRecovered, "not every load client got a 250 after the restart: \(load.log.summary)")
        #expect(load.log.unexpectedReplies.isEmpty, "\(load.log.unexpectedReplies.prefix(5))")
        // The same process throughout.
        #expect(s.daemon.isRunning && s.daemon.processIdentifier == daemonPID)

        let root = try s.daemon.client()
        try expectAllAcknowledgedPresent(load.log.acks, root)
        expectOK(try root.send("AUDIT VERIFY"))
    }
}
