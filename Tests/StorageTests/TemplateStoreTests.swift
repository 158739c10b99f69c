import AuditLog
import Testing
@testable import Storage

@Suite("Templates in the store")
struct TemplateStoreTests {
    func draft(_ body: String) -> TemplateDraft {
        TemplateDraft(name: "store-test", title: "T", states: 2, body: body,
                      sha256: String(repeating: body.count % 2 == 0 ? "b" : "c", count: 64))
    }

    @Test(arguments: Backend.allCases)
    func publishingVersionsAndNoOps(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)
        defer { Task { await db.store.close() } }
        let at = Timestamp(seconds: 1_800_000_000)
        let first = try await db.store.publishTemplate(draft(sampleTemplateBody), by: "root", role: "admin", at: at)
        #expect(first.template.version == 1 && !first.unchanged)
        #expect(first.event?.action == "template.published")
        #expect(first.event?.data["version"] == .int(1))

        let same = try await db.store.publishTemplate(draft(sampleTemplateBody), by: "root", role: "admin", at: at)
        #expect(same.unchanged && same.template.version == 1 && same.event == nil)

        let changed = try await db.store.publishTemplate(draft(sampleTemplateBody + "\n# v2\n"), by: "root", role: "admin", at: at)
        #expect(changed.template.version == 2 && !changed.unchanged)

        #expect(try await db.store.template(named: "store-test", version: 1)?.body == sampleTemplateBody)
        #expect(try await db.store.template(named: "store-test", version: nil)?.version == 2)
        #expect(try await db.store.template(named: "store-test", version: 3) == nil)
        #expect(try await db.store.template(named: "missing", version: nil) == nil)
        #expect(try await db.store.latestTemplates().map(\.version) == [2])

        // Two publications, one no-op: two system events, chained.
        let system = try await db.store.trail(chain: "system", from: 1, limit: 100)
        #expect(system.map(\.seq) == [1, 2])
        #expect(system[1].prev == system[0].hash)
        #expect(try await db.store.verify(chain: nil).isIntact)
    }

    @Test(arguments: Backend.allCases)
    func injectionStringsAreStoredVerbatim(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)
        defer { Task { await db.store.close() } }
        let hostile = "x'); DROP TABLE audit_events; -- \"$1\" ?1 \\ ü 🧬"
        let published = try await db.store.publishTemplate(
            TemplateDraft(name: "store-test", title: hostile, states: 2, body: hostile, sha256: String(repeating: "d", count: 64)),
            by: hostile, role: "admin", at: Timestamp(seconds: 1))
        let read = try await db.store.template(named: "store-test", version: published.template.version)
        #expect(read?.title == hostile && read?.body == hostile && read?.publishedBy == hostile)
        #expect(try db.count("audit_events") == 1)
    }
}
