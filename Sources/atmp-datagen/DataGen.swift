import ArgumentParser
import DataGenerator
import Foundation

/// Fills a migrated atmpd PostgreSQL database with generated cases and
/// audit chains for scale measurements (see docs/scale.md).
@main
struct DataGen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "atmp-datagen",
        abstract: "Fill an empty, migrated atmpd PostgreSQL database with generated cases (COPY).")

    @Option(help: "PostgreSQL connection string or URI (migrated with `atmpd migrate`, no cases yet).")
    var database: String

    @Option(help: "Number of cases.")
    var cases: Int = 1_000

    @Option(help: "Events per case (a few more where overdue events fall due).")
    var eventsPerCase: Int = 20

    @Option(help: "Worker threads (each with its own connection).")
    var threads: Int = 2

    @Option(help: "Directory whose *.yaml templates are published and used.")
    var workflows: String = "Workflows"

    @Option(help: "Seed: the same seed gives the same cases.")
    var seed: UInt64 = 1

    @Flag(help: "Skip VACUUM ANALYZE at the end (ANALYZE only).")
    var noVacuum = false

    func validate() throws {
        guard cases >= 0, eventsPerCase >= 1, threads >= 1 else {
            throw ValidationError("--cases must be >= 0, --events-per-case and --threads >= 1")
        }
    }

    func run() async throws {
        let options = DataGenerator.Options(
            database: database, cases: cases, eventsPerCase: eventsPerCase, threads: threads,
            workflows: workflows, seed: seed, vacuum: !noVacuum)
        let report = try await DataGenerator.run(options) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let rate = report.loadSeconds > 0 ? Int(Double(report.events) / report.loadSeconds) : 0
        print("templates: \(report.templates.joined(separator: ", "))")
        print("cases: \(report.cases)  events: \(report.events)")
        print(String(format: "load: %.1f s (%d events/s)  vacuum/analyze: %.1f s",
                     report.loadSeconds, rate, report.vacuumSeconds))
    }
}
