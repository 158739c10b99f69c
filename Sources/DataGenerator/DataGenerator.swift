import AuditLog
import Crypto
import Foundation
import PostgresClient
import Storage
import Synchronization
import Workflow

/// Fills a migrated, empty atmpd PostgreSQL database with generated cases
/// and their audit chains, fast: the engine makes each case (see
/// `CaseWalker`), and worker threads stream the rows in with COPY, each on
/// its own connection, a chunk of cases at a time.
public enum DataGenerator {
    public struct Options: Sendable {
        public var database: String
        public var cases: Int
        public var eventsPerCase: Int
        public var threads: Int
        /// Every `*.yaml` here is published (as actor `datagen`) and cases are
        /// spread evenly over them.
        public var workflows: String
        public var seed: UInt64
        /// Cases per COPY pair (events, then cases).
        public var chunk: Int
        /// VACUUM ANALYZE at the end, as autovacuum eventually would: planner
        /// statistics and a visibility map for the measurements that follow.
        public var vacuum: Bool

        public init(database: String, cases: Int, eventsPerCase: Int, threads: Int = 2, workflows: String,
                    seed: UInt64 = 1, chunk: Int = 500, vacuum: Bool = true) {
            self.database = database; self.cases = cases; self.eventsPerCase = eventsPerCase
            self.threads = threads; self.workflows = workflows; self.seed = seed; self.chunk = chunk
            self.vacuum = vacuum
        }
    }

    public struct Report: Sendable {
        public var cases = 0
        public var events = 0
        public var templates: [String] = []
        public var loadSeconds = 0.0
        public var vacuumSeconds = 0.0
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Publishes the templates, generates and loads the cases, resets the
    /// case counter past them, and (optionally) vacuums.
    public static func run(_ options: Options, progress: @escaping @Sendable (String) -> Void = { _ in })
        async throws -> Report
    {
        let now = Timestamp.wallClock()
        let templates = try await publishTemplates(options, at: now)
        var report = Report()
        report.templates = templates.map { "\($0.template.name) v\($0.templateVersion)" }
        let started = Date()
        // The load blocks (libpq, hashing): on threads of its own, never the cooperative pool.
        let (cases, events) = try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try load(options, walkers: templates, progress: progress) })
            }.start()
        }
        report.cases = cases
        report.events = events
        report.loadSeconds = Date().timeIntervalSince(started)
        let connection = try PostgresConnection(options.database)
        if options.cases > 0 {
            try connection.execute("SELECT setval('case_numbers', $1)", [.int(Int64(options.cases))])
        }
        let vacuumStart = Date()
        if options.vacuum {
            progress("VACUUM ANALYZE …")
            try connection.execute("VACUUM (ANALYZE) cases")
            try connection.execute("VACUUM (ANALYZE) audit_events")
        } else {
            try connection.execute("ANALYZE cases")
            try connection.execute("ANALYZE audit_events")
        }
        report.vacuumSeconds = Date().timeIntervalSince(vacuumStart)
        return report
    }

    static func publishTemplates(_ options: Options, at now: Timestamp) async throws -> [CaseWalker] {
        let directory = URL(fileURLWithPath: options.workflows)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        guard !files.isEmpty else { throw Failure("no *.yaml templates in \(options.workflows)") }
        let store = try await PostgresStore.open(connectionString: options.database, poolSize: 1)
        defer { Task { await store.close() } }
        var walkers: [CaseWalker] = []
        for file in files {
            let body = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            let template: Template
            switch TemplateLoader.load(yaml: body, file: file) {
            case .success(let t): template = t
            case .failure(let errors): throw Failure("\(file) does not load: \(errors)")
            }
            let digest = SHA256.hash(data: Array(body.utf8)).map { String(format: "%02x", $0) }.joined()
            let draft = TemplateDraft(name: template.name, title: template.title, states: template.states.count,
                                      body: body, sha256: digest)
            let published = try await store.publishTemplate(draft, by: "datagen", role: "admin", at: now)
            walkers.append(CaseWalker(template: template, version: published.template.version, now: now))
        }
        return walkers
    }

    /// Chunks of case numbers handed out to worker threads; returns (cases, events) written.
    static func load(_ options: Options, walkers: [CaseWalker], progress: @escaping @Sendable (String) -> Void)
        throws -> (Int, Int)
    {
        let check = try PostgresConnection(options.database)
        guard try check.execute("SELECT 1 FROM cases LIMIT 1").rows.isEmpty else {
            throw Failure("the database already holds cases; generate into a freshly migrated database")
        }
        let shared = SharedProgress()
        let chunks = (options.cases + options.chunk - 1) / max(1, options.chunk)
        let span: Int64 = 3 * 365 * 86_400
        let now = walkers[0].now
        // The newest case's last step still lies before now (steps are at most ~3 days apart).
        let firstOpened = now.adding(seconds: -span - Int64(options.eventsPerCase + 1) * 3 * 86_400 - 86_400)
        let started = Date()
        let group = DispatchGroup()
        for _ in 0..<max(1, options.threads) {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let connection = try PostgresConnection(options.database)
                    while true {
                        let chunk = shared.nextChunk.add(1, ordering: .relaxed).oldValue
                        guard chunk < chunks, shared.failure.withLock({ $0 == nil }) else { break }
                        let first = chunk * options.chunk + 1
                        let last = min(options.cases, first + options.chunk - 1)
                        var caseRows: [[String?]] = []
                        caseRows.reserveCapacity(last - first + 1)
                        var eventCount = 0
                        try connection.copyIn("COPY audit_events (\(BulkRows.eventColumns)) FROM STDIN") { copy in
                            for number in first...last {
                                let walker = walkers[number % walkers.count]
                                let opened = firstOpened.adding(seconds: span * Int64(number) / Int64(options.cases))
                                let walked = walker.walk(
                                    id: BulkRows.caseID(number: Int64(number)), number: Int64(number),
                                    events: options.eventsPerCase, opened: opened, seed: options.seed)
                                for event in walked.events { try copy.row(BulkRows.eventRow(event)) }
                                eventCount += walked.events.count
                                caseRows.append(BulkRows.caseRow(walked.stored)!)
                            }
                        }
                        try connection.copyIn("COPY cases (\(BulkRows.caseColumns)) FROM STDIN") { copy in
                            for row in caseRows { try copy.row(row) }
                        }
                        let done = shared.cases.add(caseRows.count, ordering: .relaxed).newValue
                        let events = shared.events.add(eventCount, ordering: .relaxed).newValue
                        if chunk % 100 == 0 {
                            let seconds = Date().timeIntervalSince(started)
                            progress("\(done) cases, \(events) events, \(Int(Double(events) / seconds)) events/s")
                        }
                    }
                } catch {
                    shared.failure.withLock { $0 = $0 ?? "\(error)" }
                }
            }.start()
        }
        group.wait()
        if let failure = shared.failure.withLock({ $0 }) { throw Failure(failure) }
        return (shared.cases.load(ordering: .relaxed), shared.events.load(ordering: .relaxed))
    }
}

/// What the worker threads share: the next chunk, running totals, the first failure.
final class SharedProgress: Sendable {
    let nextChunk = Atomic<Int>(0)
    let cases = Atomic<Int>(0)
    let events = Atomic<Int>(0)
    let failure = Mutex<String?>(nil)
}

extension Timestamp {
    static func wallClock() -> Timestamp {
        Timestamp(microseconds: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }
}
