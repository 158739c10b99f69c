import AuditLog
import CaseEngine
import DataGenerator
import Foundation
import PostgresClient
import PostgresTestSupport
import Storage
import Testing
import Workflow

/// The repository's Workflows directory, which the generator publishes.
private let workflows = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Workflows").path

/// A fresh, migrated database on the throwaway server.
private func migratedDatabase() async throws -> (url: String, store: SQLStore) {
    let url = try PostgresTestCluster.shared.createDatabase(prefix: "datagen")
    let store = try await PostgresStore.open(connectionString: url, poolSize: 2)
    _ = try await store.migrate()
    return (url, store)
}

@Suite struct DataGeneratorTests {
    @Test func generatedCasesVerifyAndLoad() async throws {
        let (url, store) = try await migratedDatabase()
        let options = DataGenerator.Options(database: url, cases: 50, eventsPerCase: 5, threads: 2,
                                            workflows: workflows, chunk: 7)
        let report = try await DataGenerator.run(options)
        #expect(report.cases == 50)
        #expect(report.events >= 250)
        #expect(report.templates.count == 4)

        // The store's own verification: every chain intact, every case's head on its chain's end.
        let verification = try await store.verify(chain: nil)
        #expect(verification.broken == [])
        #expect(verification.chains == 51)  // 50 cases + the system chain (template publications)
        #expect(verification.events == Int64(report.events) + 4)

        var templates: Set<String> = []
        var states: Set<String> = []
        for number in [1, 2, 3, 4, 17, 50] {
            let id = "C-" + String(repeating: "0", count: 6 - String(number).count) + String(number)
            let stored = try #require(try await store.loadCase(id: id))
            #expect(stored.case.id == id)
            #expect(stored.case.version >= 5)
            templates.insert(stored.case.template)
            states.insert(stored.case.state)
            // The projection is what replaying the chain gives.
            let chain = try await store.trail(chain: id, from: 1, limit: 1_000)
            #expect(chain.count == Int(stored.case.version))
            let body = try #require(try await store.template(named: stored.case.template,
                                                             version: stored.case.templateVersion)).body
            let template = try TemplateLoader.load(yaml: body, file: "stored").get()
            #expect(try CaseEngine.replay(chain, template: template) == stored.case)
            #expect(try await store.verify(chain: id).broken == [])
        }
        #expect(templates.count == 4)
        #expect(states.count > 1)

        // Filters find them; the case counter continues after the generated cases.
        let now = Timestamp(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000))
        let all = try await store.listCases(CaseQuery(limit: 1_000, now: now))
        #expect(all.count == 50)
        for name in templates {
            let listed = try await store.listCases(CaseQuery(template: name, limit: 1_000, now: now))
            #expect(!listed.isEmpty && listed.allSatisfy { $0.summary.template == name })
        }
        #expect(try await store.allocateCaseID() == "C-000051")
        await store.close()
    }

    @Test func aTamperedProjectionIsCaughtByVerify() async throws {
        let (url, store) = try await migratedDatabase()
        _ = try await DataGenerator.run(DataGenerator.Options(database: url, cases: 3, eventsPerCase: 4,
                                                              threads: 1, workflows: workflows))
        try PostgresConnection(url).execute("UPDATE cases SET head = $1 WHERE id = 'C-000002'",
                                            [.text(String(repeating: "0", count: 64))])
        let broken = try await store.verify(chain: nil).broken
        #expect(broken.map(\.chain) == ["C-000002"])
        await store.close()
    }

    @Test func refusesADatabaseThatHoldsCases() async throws {
        let (url, store) = try await migratedDatabase()
        let options = DataGenerator.Options(database: url, cases: 2, eventsPerCase: 3, threads: 1,
                                            workflows: workflows)
        _ = try await DataGenerator.run(options)
        await #expect(throws: DataGenerator.Failure.self) { try await DataGenerator.run(options) }
        #expect(try await store.verify(chain: nil).broken == [])
        await store.close()
    }

    @Test func sameSeedSameCases() async throws {
        var heads: [[String]] = []
        for _ in 0..<2 {
            let (url, store) = try await migratedDatabase()
            _ = try await DataGenerator.run(DataGenerator.Options(database: url, cases: 4, eventsPerCase: 6,
                                                                  threads: 2, workflows: workflows, chunk: 1))
            let listed = try await store.listCases(CaseQuery(limit: 10, now: Timestamp(microseconds: 0)))
            heads.append(listed.map { c in
                "\(c.summary.state) \(c.summary.version) \(c.summary.attributes.sorted { $0.key < $1.key })"
            })
            await store.close()
        }
        #expect(heads[0] == heads[1])
    }
}
