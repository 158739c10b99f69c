import ControlProtocol
import Storage
import Testing
@testable import Daemon

/// STATS and the figures behind the metrics endpoint: what is counted, and who may ask.
@Suite struct StatsTests {
    private func fetchStats(_ f: ServiceFixture) async throws -> (stats: ReplyRecord, commands: [String: ReplyRecord], pool: ReplyRecord?) {
        let outcome = try await f.run("STATS", as: "root")
        #expect(outcome.code == .ok, "\(outcome.reply)")
        let stats = try #require(outcome.records("stats").first)
        let commands = Dictionary(uniqueKeysWithValues: outcome.records("command").map { ($0["name"] ?? "", $0) })
        return (stats, commands, outcome.records("pool").first)
    }

    @Test("STATS is for admins only", arguments: Backend.allCases)
    func onlyAdmins(_ backend: Backend) async throws {
        let f = try await ServiceFixture.make(backend)
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        try await f.addUser("ivy", roles: ["regulator"])
        #expect(try await f.run("STATS", as: "alice").errorKey == "forbidden")
        #expect(try await f.run("STATS", as: "ivy").errorKey == "forbidden")
        var anonymous = f.session(nil)
        #expect(try await f.run("STATS", &anonymous).errorKey == "auth-required")
        #expect(try await f.run("STATS extra", as: "root").errorKey == "bad-argument")
    }

    @Test("requests are counted per command and reply code, with changes and conflicts", arguments: Backend.allCases)
    func countsRequests(_ backend: Backend) async throws {
        let f = try await ServiceFixture.make(backend)
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let id = try await f.openTrialCase()
        #expect(try await f.run("CASE NOTE \(id) text=one", as: "alice").code == .ok)
        #expect(try await f.run("CASE NOTE \(id) text=two expect=1", as: "alice").errorKey == "version-conflict")
        #expect(try await f.run("CASE SHOW C-999999", as: "alice").errorKey == "not-found")
        #expect(try await f.run("FROBNICATE", as: "alice").errorKey == "unknown-command")

        let (stats, commands, _) = try await fetchStats(f)
        let open = try #require(commands["CASE OPEN"])
        #expect(open["count"] == "1" && open["errors"] == "0" && open["replies"] == "250:1")
        let note = try #require(commands["CASE NOTE"])
        #expect(note["count"] == "2" && note["errors"] == "1" && note["replies"] == "250:1,450:1")
        #expect(commands["CASE SHOW"]?["replies"] == "550:1")
        #expect(commands["unknown"]?["replies"] == "500:1")
        // TEMPLATE PUT ×2 from publishTemplates; STATS does not count itself.
        #expect(commands["TEMPLATE PUT"]?["count"] == "2")
        #expect(commands["STATS"] == nil)
        #expect(Int(try #require(note["max-us"]))! >= Int(try #require(note["p50-us"]))!)
        #expect(stats["requests"] == "7")
        #expect(stats["changes"] == "2")  // the opening and the first note
        #expect(stats["change-events"] == "2")
        #expect(stats["conflicts"] == "1")
        #expect(stats["store-unavailable"] == "0" && stats["store-failures"] == "0")

        // Now STATS itself shows in the next one.
        #expect(try await fetchStats(f).commands["STATS"]?["replies"] == "250:1")
    }

    @Test("store errors are counted by kind; the pool is reported", arguments: Backend.allCases)
    func storeErrorsAndPool(_ backend: Backend) async throws {
        let f = try await ServiceFixture.make(backend, interposed: true)
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let id = try await f.openTrialCase()
        f.interposed?.commitFailure.withLock { $0 = StoreError(.unavailable, "database gone") }
        #expect(try await f.run("CASE NOTE \(id) text=lost", as: "alice").errorKey == "storage-unavailable")
        f.interposed?.commitFailure.withLock { $0 = StoreError(.constraint, "trigger said no") }
        #expect(try await f.run("CASE NOTE \(id) text=refused", as: "alice").code.rawValue >= 400)

        let (stats, commands, pool) = try await fetchStats(f)
        #expect(stats["store-unavailable"] == "1")
        #expect(stats["store-failures"] == "1")
        #expect(stats["changes"] == "1")  // only the opening went through
        #expect(commands["CASE NOTE"]?["errors"] == "2")
        let reported = try #require(pool)
        let size = try #require(Int(reported["size"] ?? ""))
        #expect(size >= 1)
        #expect(Int(reported["open"] ?? "") ?? -1 <= size)
        #expect(reported["waiting"] == "0")
    }

    /// PostgreSQL commits case changes through group commit; STATS shows its
    /// figures. SQLite has none, and shows no such record.
    @Test("group commit's figures are in STATS on PostgreSQL only", arguments: Backend.allCases)
    func groupCommitFigures(_ backend: Backend) async throws {
        let f = try await ServiceFixture.make(backend)
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let id = try await f.openTrialCase()
        for n in 1...3 { #expect(try await f.run("CASE NOTE \(id) text=n\(n)", as: "alice").code == .ok) }
        let outcome = try await f.run("STATS", as: "root")
        let record = outcome.records("group-commit").first
        guard backend == .postgres else {
            #expect(record == nil)
            return
        }
        let group = try #require(record)
        #expect(group["lanes"] == "1")
        #expect(group["changes"] == "4")  // the opening and three notes, one after another
        #expect(group["batches"] == "4" && group["largest-batch"] == "1")
        #expect(group["queued"] == "0")
        #expect(group["retried-alone"] == "0")
        // No socket here: nothing for a lane to read (LaneReadTests).
        #expect(group["lane-reads"] == "0" && group["lane-hand-backs"] == "0")
        // Whether a lane caught an answer spinning depends on timing; that it does is CommitLanesTests'.
        #expect(group["spin-hits"].flatMap { Int($0) } != nil)
        #expect(group["spin-us"] == "\(Int(PostgresStore.defaultCommitSpin / .microseconds(1)))")
    }

    @Test("a change that loses a race to another instance counts as a conflict and is retried")
    func conflictWithAnotherInstance() async throws {
        let f = try await ServiceFixture.make(.postgres)
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let id = try await f.openTrialCase()  // cached by the first instance at version 1
        let second = try await f.secondInstance()
        var session = f.session("alice")
        let elsewhere = await second.handle(try #require(try RequestParser().parse("CASE NOTE \(id) text=elsewhere")),
                                            data: nil, session: &session)
        #expect(elsewhere.code == .ok)
        // The first instance decides on its stale cached version, loses the commit, re-reads and succeeds.
        let here = try await f.run("CASE NOTE \(id) text=here", as: "alice")
        #expect(here.code == .ok)
        #expect(here.reply.records.first?["version"] == "3")
        let (stats, commands, _) = try await fetchStats(f)
        #expect(stats["conflicts"] == "1")
        #expect(stats["changes"] == "2")
        #expect(commands["CASE NOTE"]?["replies"] == "250:1")
        #expect(second.metrics.stats(sampling: .init()).changes == 1)
        await second.store.close()
    }

    @Test("case cache hits and misses show in STATS")
    func caseCacheFigures() async throws {
        let f = try await ServiceFixture.make(.sqlite)
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let id = try await f.openTrialCase()
        #expect(try await f.run("CASE NOTE \(id) text=one", as: "alice").code == .ok)
        #expect(try await f.run("CASE NOTE \(id) text=two", as: "alice").code == .ok)
        let (stats, _, _) = try await fetchStats(f)
        #expect(stats["case-cache"] == "1")
        #expect(stats["case-cache-hits"] == "2")
    }
}
