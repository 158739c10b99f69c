import SocketTestSupport
import Foundation
import PostgresTestSupport
import Storage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `atmpd` binary as an operator runs it.
@Suite("atmpd binary", .serialized)
struct AtmpdTests {
    @Test func migrateTwiceAppliesOnceThenHasNothingToDo() async throws {
        let directory = try temporaryDirectory()
        let database = "sqlite:\(directory)/atmp.db"
        let first = try await atmpd(["migrate", "--database", database])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("applied 1 "))
        let second = try await atmpd(["migrate", "--database", database])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.hasPrefix("nothing to do"))
        #expect(!second.stdout.contains("applied"))
    }

    @Test func userAddReadsThePasswordFromStandardInput() async throws {
        let directory = try temporaryDirectory()
        let path = "\(directory)/atmp.db"
        // A fresh database: user add migrates it first.
        let added = try await atmpd(["user", "add", "alice", "--roles", "admin,qp", "--database", "sqlite:\(path)"],
                                    stdin: "correct horse\nignored second line\n")
        #expect(added.status == 0, "\(added.stderr)")
        #expect(!added.stdout.contains("correct horse") && !added.stderr.contains("correct horse"), "the password is never echoed")

        let store = try await SQLiteStore.open(path: path)
        let alice = try await store.user(named: "alice")
        await store.close()
        #expect(alice?.roles == ["admin", "qp"])
        #expect(alice.map { PasswordHash.verify(password: "correct horse", against: $0.passwordHash) } == true)

        let again = try await atmpd(["user", "add", "alice", "--roles", "admin", "--database", "sqlite:\(path)"], stdin: "x\n")
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"))
    }

    @Test func userAddRefusesAnEmptyPassword() async throws {
        let directory = try temporaryDirectory()
        for stdin in ["", "\n"] {
            let run = try await atmpd(["user", "add", "bob", "--roles", "admin", "--database", "sqlite:\(directory)/atmp.db"],
                                      stdin: stdin)
            #expect(run.status == 65)
            #expect(run.stderr.contains("no password"))
        }
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/atmp.db"), "refused before touching the database")
    }

    @Test func servesOnSQLiteAndStopsCleanlyOnSIGTERM() async throws {
        let directory = try temporaryDirectory()
        try await serveAndStop(database: "sqlite:\(directory)/atmp.db", socket: "\(directory)/atmpd.sock")
    }

    @Test func servesOnPostgreSQL() async throws {
        let url = try PostgresTestCluster.shared.createDatabase(prefix: "atmpd_serve")
        let directory = try temporaryDirectory()
        try await serveAndStop(database: url, socket: "\(directory)/atmpd.sock")
    }

    /// Starts atmpd, speaks to it, sends SIGTERM: the client is told 421 and atmpd exits 0.
    private func serveAndStop(database: String, socket: String) async throws {
        let daemon = try Daemon(["--database", database, "--socket", socket, "--log-level", "warning"])
        try await daemon.waitForOutput("listening on \(socket)")
        let client = try TestClient(unixSocket: socket)
        #expect(try await client.readLine()?.hasPrefix("220 atmpd version=") == true)
        try await client.send("PING\n")
        #expect(try await client.readFinal() == "250 OK pong")
        daemon.terminate()
        let lines = try await client.readToEnd()
        #expect(lines.first?.hasPrefix("421 shutting-down") == true)
        #expect(try await daemon.exitStatus() == 0, "\(daemon.stderr)")
        #expect(!FileManager.default.fileExists(atPath: socket))
    }

    @Test func withNoOptionsUsesTheDataDirectoryAndSaysHowToConnect() async throws {
        let directory = try temporaryDirectory()
        let daemon = try Daemon([], in: directory)
        let socket = "\(directory)/.atmp/atmpd.sock"
        try await daemon.waitForOutput("atmpctl --socket \(socket)")
        #expect(daemon.stdout.contains("atmpd user add"))
        var info = stat()
        #expect(stat("\(directory)/.atmp", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        #expect(FileManager.default.fileExists(atPath: "\(directory)/.atmp/atmp.db"))
        let client = try TestClient(unixSocket: socket)
        #expect(try await client.readLine()?.hasPrefix("220 ") == true)
        daemon.terminate()
        #expect(try await daemon.exitStatus() == 0, "\(daemon.stderr)")
    }

    @Test func dataDirectoryComesFromTheEnvironment() async throws {
        let directory = try temporaryDirectory()
        let data = "\(directory)/elsewhere"
        let daemon = try Daemon([], in: directory, environment: ["ATMP_DATA_DIR": data])
        try await daemon.waitForOutput("listening on \(data)/atmpd.sock")
        daemon.terminate()
        #expect(try await daemon.exitStatus() == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/.atmp"))
    }

    @Test func flagsBeatEnvironmentBeatConfigFile() async throws {
        let directory = try temporaryDirectory()
        let config = "\(directory)/atmpd.yaml"
        try Data("database: sqlite:\(directory)/from-file.db\nsocket: \(directory)/file.sock\n".utf8)
            .write(to: URL(fileURLWithPath: config))
        // The socket from the environment beats the file's; the database comes from the file.
        let daemon = try Daemon(["--config", config], in: directory, environment: ["ATMP_SOCKET": "\(directory)/env.sock"])
        try await daemon.waitForOutput("listening on \(directory)/env.sock")
        #expect(FileManager.default.fileExists(atPath: "\(directory)/from-file.db"))
        daemon.terminate()
        #expect(try await daemon.exitStatus() == 0)
        // The flag beats the environment.
        let flagged = try Daemon(["--config", config, "--socket", "\(directory)/flag.sock"], in: directory,
                                 environment: ["ATMP_SOCKET": "\(directory)/env.sock"])
        try await flagged.waitForOutput("listening on \(directory)/flag.sock")
        flagged.terminate()
        #expect(try await flagged.exitStatus() == 0)
    }

    @Test func unreachableDatabaseExits69() async throws {
        let run = try await atmpd(["--database", "postgresql://atmp@127.0.0.1:1/atmp?connect_timeout=5",
                                   "--socket", "\(try temporaryDirectory())/atmpd.sock"])
        #expect(run.status == 69)
        #expect(run.stderr.contains("cannot reach the database"))
    }

    @Test func secondDaemonOnTheSameSocketIsRefused() async throws {
        let directory = try temporaryDirectory()
        let socket = "\(directory)/atmpd.sock"
        let first = try Daemon(["--database", "sqlite:\(directory)/a.db", "--socket", socket])
        try await first.waitForOutput("listening on")
        let second = try await atmpd(["--database", "sqlite:\(directory)/b.db", "--socket", socket])
        #expect(second.status == 73)
        #expect(second.stderr.contains("already listening"))
        first.terminate()
        #expect(try await first.exitStatus() == 0)
    }

    @Test(arguments: [
        ["--no-such-flag"],
        ["serve", "--max-connections", "0"],
        ["serve", "--commit-spin=-1"],
        ["serve", "--commit-spin", "100001"],
        ["serve", "--listen", "no-port-here"],
        ["serve", "--metrics-listen", "nowhere"],
        ["serve", "--log-level", "loud"],
        ["user", "add", "alice"],
        ["user", "add", "bad name!", "--roles", "admin"],
    ])
    func badUsageExits64(arguments: [String]) async throws {
        let directory = try temporaryDirectory()
        let run = try await atmpd(arguments + ["--data-dir", "\(directory)/data"], in: directory, stdin: "pw\n")
        #expect(run.status == 64, "\(arguments): \(run.stderr)")
    }

    @Test func badConfigFileExits64() async throws {
        let directory = try temporaryDirectory()
        let config = "\(directory)/atmpd.yaml"
        try Data("sockett: /tmp/typo.sock\n".utf8).write(to: URL(fileURLWithPath: config))
        let run = try await atmpd(["--config", config], in: directory)
        #expect(run.status == 64)
        #expect(run.stderr.contains("unknown setting"))
    }
}
