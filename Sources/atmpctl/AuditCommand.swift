import ArgumentParser
import AuditLog

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Work with audit trails.",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify an exported audit trail offline.",
            discussion: """
                FILE holds one event per line, as AUDIT TRAIL returns it (JSON Lines). \
                Every hash is recomputed, seq must run 1, 2, 3… and each prev must equal the \
                previous hash. Exits 0 with a summary, or 65 naming each broken chain and its \
                first bad seq. A removed last event can only be detected against the head the \
                server reports: pass it with --head.
                """
        )

        @Argument(help: "The trail file (JSON Lines); - reads standard input.")
        var file: String

        @Option(name: .customLong("head"), help: "Expected head hash, as CHAIN=HEX or HEX when the file holds one chain. Repeatable.")
        var heads: [String] = []

        func run() async throws {
            let bytes = try readInput(file)
            let report = verifyTrail(bytes, heads: heads)
            if !report.ok {
                for line in report.failures { printError(line) }
                throw ExitStatus.dataError
            }
            for line in report.summary { print(line) }
        }
    }
}
