import ArgumentParser
import ATMPClient
import AuditLog
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Export and verify audit trails.",
        subcommands: [Trail.self, Export.self, Verify.self]
    )

    struct Trail: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch a chain's events (JSON Lines) from the server.",
            discussion: """
                With --output the events are written to FILE exactly as the server sent them, \
                for `atmpctl audit verify FILE --head HEAD` to check offline; the head is printed.
                """
        )

        @Argument(help: "The chain: a case id, or system.") var chain: String
        @Option(help: "First seq to fetch.") var from: Int?
        @Option(help: "At most this many events.") var limit: Int?
        @Option(help: "Write the events to this file instead of standard output.") var output: String?
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                let trail = try server.auditTrail(chain, from: from, limit: limit)
                if let output {
                    guard FileManager.default.createFile(atPath: output, contents: Data(trail.jsonLines.utf8)) else {
                        throw .io("\(output): cannot be written")
                    }
                }
                if printer.json {
                    return printer.reply(trail.reply, extra: ["events": JSONRenderer.events(trail.jsonLines),
                                                              "chain": .string(trail.chain)])
                }
                if let output {
                    printer.out("""
                        wrote \(trail.events) events of chain \(trail.chain) to \(output)
                        head \(trail.head)
                        verify offline with: atmpctl audit verify \(output) --head \(trail.chain)=\(trail.head)
                        """)
                } else {
                    printer.out(trail.jsonLines)
                    printError("chain \(trail.chain): \(trail.events) events, head \(trail.head)")
                }
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a case: its trail, snapshot, template, documents and signatures in one file.",
            discussion: """
                The file is what AUDIT EXPORT CASE sends (docs/audit-format.md, "Case export"). \
                A regulator verifies it offline with `atmpctl audit verify FILE`, adding \
                --documents DIR to match document files by sha256 and --head HEX for a head known \
                from elsewhere. Without --output the file goes to standard output.
                """
        )

        @Argument(help: "The case id.") var id: String
        @Option(help: "Write the export to this file instead of standard output.") var output: String?
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                let export = try server.auditExport(case: id)
                if let output {
                    guard FileManager.default.createFile(atPath: output, contents: Data(export.text.utf8)) else {
                        throw .io("\(output): cannot be written")
                    }
                }
                if printer.json {
                    return printer.reply(export.reply, extra: [
                        "case": .string(export.caseID), "events": .int(Int64(export.events)),
                        "head": .string(export.head),
                    ])
                }
                if let output {
                    printer.out("""
                        wrote case \(export.caseID) (\(export.events) events) to \(output)
                        head \(export.head)
                        verify offline with: atmpctl audit verify \(output) --head \(export.head)
                        """)
                } else {
                    printer.out(export.text)
                    printError("case \(export.caseID): \(export.events) events, head \(export.head)")
                }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify an exported audit trail offline, or chains on the server.",
            discussion: """
                With a FILE (-, an existing path, or anything containing / or .): offline. FILE holds one event per line, as AUDIT \
                TRAIL returns it (JSON Lines). Every hash is recomputed, seq must run 1, 2, 3… and \
                each prev must equal the previous hash. Exits 0 with a summary, or 65 naming each \
                broken chain and its first bad seq. A removed last event can only be detected \
                against the head the server reports: pass it with --head.

                A case export (atmpctl audit export) is recognised by its first line and verified \
                whole: the chain, its head against the case version, the snapshot's state, \
                template and attributes against the events, the template YAML against its sha256, \
                the documents and signatures against their events. --documents DIR hashes the \
                files in DIR and reports each listed document found or missing.

                With a CHAIN name, no argument, or --server: the server verifies (AUDIT VERIFY), \
                every chain when none is named; a broken chain exits 65.
                """
        )

        @Argument(help: "A trail file (JSON Lines; - reads standard input), or a chain name on the server.")
        var target: String?

        @Option(name: .customLong("head"), help: "Expected head hash, as CHAIN=HEX or HEX when the file holds one chain. Repeatable.")
        var heads: [String] = []

        @Option(help: "With a case export: a directory of document files to match by sha256.")
        var documents: String?

        @Flag(help: "Verify on the server even if a file of that name exists.")
        var server = false

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            if let file = target, !server, meansFile(file) {
                let bytes = try readInput(file)
                let report = CaseExportVerifier.looksLikeExport(bytes)
                    ? verifyExport(bytes, heads: heads, documents: documents)
                    : documents == nil ? verifyTrail(bytes, heads: heads)
                    : TrailCheck(ok: false, summary: [], failures: ["atmpctl: --documents applies to a case export, and \(file) is a trail"])
                if !report.ok {
                    for line in report.failures { printError(line) }
                    throw ExitStatus.dataError
                }
                for line in report.summary { print(line) }
                return
            }
            if !heads.isEmpty { throw ValidationError("--head applies to a trail file, not to the server") }
            if documents != nil { throw ValidationError("--documents applies to a case export file, not to the server") }
            try online(connection) { server, printer throws(ClientError) in
                let result = try server.verifyAudit(target)
                printer.done(result.reply, "verified on the server: \(result.chains) chains, \(result.events) events, no break")
            }
        }
    }
}
