import Foundation
import SocketTestSupport
import Testing

/// `atmpctl bench` against real atmpd processes on SQLite (speed is never
/// asserted: only that the load it makes is correct and fully accounted for).
@Suite("atmpctl bench")
struct BenchCommandTests {
    @Test func aShortPipelinedRunAcknowledgesChangesThatAddUp() throws {
        let daemon = try AtmpdProcess.real(users: ["root": "admin,lead"])
        let run = try daemon.atmpctl(["bench", "--connections", "2", "--duration", "1", "--pipeline", "2", "--json"],
                                     as: "root")
        #expect(run.status == 0, "\(run.stderr)\n\(daemon.logText)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any],
                                   "\(run.stdout)")
        let acknowledged = try #require(figures["acknowledged"] as? Int)
        let cases = try #require(figures["cases"] as? Int)
        #expect(acknowledged > 0)
        #expect(cases == 8, "default: 4 per connection")
        #expect(figures["refused"] as? Int == 0)
        #expect((figures["errors"] as? [Any])?.isEmpty == true)
        #expect((figures["replies"] as? [String: Int]) == ["250": acknowledged])
        for key in ["changes_per_s", "p50_us", "p99_us", "p999_us", "max_us", "elapsed_s"] {
            #expect(figures[key] is NSNumber, "\(key) in \(run.stdout)")
        }

        let verify = try daemon.atmpctl(["audit", "verify"], as: "root")
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        // Each case is version 1 when opened and one more per acknowledged change.
        let list = try daemon.atmpctl(["case", "list", "--template", "bench-loop", "--limit", "1000", "--json"], as: "root")
        #expect(list.status == 0, "\(list.stderr)")
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
        let records = try #require(reply["records"] as? [[String: Any]])
        let versions = records.compactMap { (($0["fields"] as? [String: String])?["version"]).flatMap { Int($0) } }
        #expect(versions.count == cases)
        #expect(versions.reduce(0, +) == cases + acknowledged)
    }

    @Test func theTextReportNamesTheFigures() throws {
        let daemon = try AtmpdProcess.real(users: ["root": "admin,lead"])
        let run = try daemon.atmpctl(["bench", "--connections", "1", "--duration", "0.3"], as: "root")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("published template bench-loop"), "\(run.stderr)")
        #expect(run.stdout.contains("changes/s"), "\(run.stdout)")
        #expect(run.stdout.contains("p99.9"), "\(run.stdout)")
        // The second run finds the template and publishes nothing.
        let again = try daemon.atmpctl(["bench", "--connections", "1", "--duration", "0.1", "--json"], as: "root")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!again.stderr.contains("published"))
    }

    @Test func usersWhoMayNotDriveBenchCasesAreToldWhy() throws {
        let daemon = try AtmpdProcess.real(users: ["root": "admin,lead", "bob": "qp", "carol": "lead"])
        let bob = try daemon.atmpctl(["bench", "--duration", "1"], as: "bob")
        #expect(bob.status == 77, "\(bob.stdout)\(bob.stderr)")
        #expect(bob.stderr.contains("user bob cannot advance bench cases: that needs the template role lead"), "\(bob.stderr)")
        // carol may advance, but nobody published bench-loop yet and she is no admin.
        let carol = try daemon.atmpctl(["bench", "--duration", "1"], as: "carol")
        #expect(carol.status == 77, "\(carol.stdout)\(carol.stderr)")
        #expect(carol.stderr.contains("publishing it needs the admin role"), "\(carol.stderr)")
        // Once an admin has published it, carol can run.
        #expect(try daemon.atmpctl(["bench", "--duration", "0.2"], as: "root").status == 0)
        let again = try daemon.atmpctl(["bench", "--duration", "0.2"], as: "carol")
        #expect(again.status == 0, "\(again.stderr)")
    }

    @Test(arguments: [
        (["--connections", "4", "--cases", "2"], "--cases 2 is fewer than --connections 4"),
        (["--duration", "0"], "--duration must be more than 0"),
        (["--pipeline", "0"], "--pipeline must be from 1"),
        (["--connections", "2", "--cases", "3", "--pipeline", "2"], "--pipeline 2 needs at least 2 cases per connection"),
        (["--bogus"], "Unknown option '--bogus'"),
    ])
    func usageErrorsExit64WithAMessage(arguments: [String], message: String) throws {
        // No daemon: the options are refused before anything connects.
        let run = try atmpctl(["bench"] + arguments, environment: ["ATMP_SOCKET": "/nonexistent/atmpd.sock", "ATMP_PASSWORD": "x"])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }
}
