import AuditLog
import CaseEngine
import Foundation
import Logging
import PostgresClient
import PostgresTestSupport
import SQLiteClient
import Testing
@testable import Storage

/// The two stores every conformance test runs against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// A fresh, migrated database of one backend, with a raw connection for
/// checks and tampering the store itself would never do.
struct TestDatabase: Sendable {
    let backend: Backend
    let store: SQLStore
    let location: DatabaseLocation

    static func make(_ backend: Backend, poolSize: Int? = nil, cluster: PostgresTestCluster = .shared) async throws
        -> TestDatabase
    {
        let location: DatabaseLocation
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("atmp-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            location = .sqlite(path: directory.appendingPathComponent("atmp.db").path)
        case .postgres:
            location = .postgres(connectionString: try cluster.createDatabase(prefix: "atmp_store"))
        }
        var logger = Logger(label: "atmp.test.store")
        logger.logLevel = .warning
        let store = try await SQLStore.open(location, poolSize: poolSize, logger: logger)
        _ = try await store.migrate()
        return TestDatabase(backend: backend, store: store, location: location)
    }

    /// Runs raw SQL on a separate connection (superuser on PostgreSQL).
    @discardableResult
    func raw(_ sql: String, _ params: [String?] = []) throws -> [[String?]] {
        switch location {
        case .sqlite(let path):
            let connection = try SQLiteConnection(path: path)
            defer { connection.close() }
            let result = try connection.execute(sql, params.map { $0.map(SQLiteValue.text) })
            return result.rows.map { row in
                row.values.map { value in
                    switch value {
                    case .none: return nil
                    case .some(.integer(let n)): return String(n)
                    case .some(.text(let s)): return s
                    case .some(.real(let d)): return String(d)
                    case .some(.blob(let b)): return String(decoding: b, as: UTF8.self)
                    }
                }
            }
        case .postgres(let connectionString):
            let connection = try PostgresConnection(connectionString)
            let result = try connection.execute(sql, params.map { $0.map(PostgresValue.text) })
            return result.rows.map(\.values)
        }
    }

    /// A new case committed through the store, as a builder to go on from.
    func openedCase(at time: Timestamp) async throws -> CaseBuilder {
        let builder = CaseBuilder(id: try await store.allocateCaseID(), at: time)
        try await store.commit(builder.write(since: 0))
        return builder
    }

    /// Every chain verifies.
    func expectIntact(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let report = try await store.verify(chain: nil)
        #expect(report.isIntact, "\(report.broken)", sourceLocation: sourceLocation)
    }

    func count(_ table: String) throws -> Int {
        Int(try raw("SELECT count(*) FROM \(table)")[0][0]!)!
    }
}

/// A change as the commit lanes take it.
func pending(_ write: CaseWrite, whenDurable: (@Sendable () -> Void)? = nil) -> SQLStore.PendingCommit {
    SQLStore.PendingCommit(write: write, number: SQLStore.caseNumber(write.stored.case.id)!, whenDurable: whenDurable)
}

// MARK: - Building cases without the daemon

/// A minimal template body, enough for the foreign key from cases to templates.
let sampleTemplateBody = """
    template: store-test
    roles: { author: Author }
    stages: { work: Work }
    initial: draft
    states:
      draft: { stage: work, transitions: { finish: { to: done, roles: [author] } } }
      done: { stage: work, final: true }
    """

func publishSampleTemplate(_ store: SQLStore) async throws -> StoredTemplate {
    try await store.publishTemplate(
        TemplateDraft(name: "store-test", title: "Store test", states: 2, body: sampleTemplateBody,
                      sha256: String(repeating: "a", count: 64)),
        by: "admin", role: "admin", at: Timestamp(seconds: 1_800_000_000)
    ).template
}

/// A case and its chain as the daemon would build them, without the engine:
/// `case.noted` events on a fixed projection.
struct CaseBuilder {
    var current: Case
    var events: [AuditEvent] = []

    init(id: String, at: Timestamp) {
        current = Case(
            id: id, template: "store-test", templateVersion: 1, title: "Case \(id)", state: "draft", stage: "work",
            attributes: ["sponsor": "Sponsor AB"], version: 0, head: AuditEvent.genesisPrev, opened: at, entered: at,
            enteredSeq: 1, updated: at)
        append(action: "case.opened", at: at, data: ["title": .string("Case \(id)")])
    }

    mutating func append(action: String = "case.noted", at: Timestamp, data: [String: JSONValue] = ["text": "note"]) {
        let event = AuditEvent.seal(
            AuditRecord(at: at, actor: "alice", role: "author", action: action, data: data),
            chain: current.id, seq: current.version + 1, prev: current.head)
        events.append(event)
        current.version = event.seq
        current.head = event.hash
        current.updated = at
    }

    /// The write for the events appended since `version`.
    func write(since version: Int64, idempotency: IdempotencyRecord? = nil) -> CaseWrite {
        CaseWrite(
            stored: StoredCase(case: current, overdueAt: nil, alarmAt: nil), expectedVersion: version,
            events: Array(events.drop(while: { $0.seq <= version })), idempotency: idempotency)
    }
}

extension CaseBuilder {
    /// Continues a stored case.
    init(continuing stored: Case) {
        current = stored
        events = []
    }
}
