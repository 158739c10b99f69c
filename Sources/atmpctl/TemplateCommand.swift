import ArgumentParser
import ATMPClient
import Foundation
import Workflow

struct TemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Check, draw, publish and read workflow templates.",
        discussion: """
            check and graph work offline on files; check --server asks the daemon instead, and \
            graph asks the daemon when its argument is a template name rather than a file (or with --server).
            """,
        subcommands: [Check.self, Graph.self, Put.self, List.self, Show.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate template files (offline, or on the server with --server).",
            discussion: """
                Prints every error as FILE:LINE:COLUMN: error: MESSAGE on standard error. \
                Exits 0 when every file is valid, 65 otherwise.
                """
        )

        @Argument(help: "Template files (YAML or JSON); - reads standard input.")
        var files: [String]

        @Flag(name: .shortAndLong, help: "Print nothing for valid files.")
        var quiet = false

        @Flag(help: "Check with the daemon (+TEMPLATE CHECK) rather than locally.")
        var server = false

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            if server { return try checkOnServer() }
            var failed = false
            for file in files {
                let loaded = TemplateLoader.analyze(bytes: try readInput(file), file: file == "-" ? "<stdin>" : file)
                for diagnostic in loaded.diagnostics { printError(diagnostic.description) }
                if let template = loaded.template {
                    if !quiet { print("\(file): ok: template \(template.name), \(template.states.count) states") }
                } else {
                    failed = true
                }
            }
            if failed { throw ExitStatus.dataError }
        }

        private func checkOnServer() throws {
            let texts = try files.map { String(decoding: try readInput($0), as: UTF8.self) }
            var worst: Int32 = 0
            try online(connection) { server, printer throws(ClientError) in
                for (file, text) in zip(files, texts) {
                    do throws(ClientError) {
                        let reply = try server.checkTemplate(text)
                        if printer.json { printer.reply(reply) } else if !quiet { printer.out("\(file): ok") }
                    } catch .refused(let failure) where failure.code == .invalidTemplate {
                        // Every file is checked; errors in the compiler's convention.
                        Printer(json: printer.json, source: file).failure(.refused(failure))
                        worst = ExitStatusMapping.dataError
                    }
                }
            }
            if worst != 0 { throw ExitCode(worst) }
        }
    }

    struct Graph: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw a template as a Graphviz DOT or Mermaid state diagram.",
            discussion: """
                A file (-, an existing path, or anything containing / or .) is drawn offline; \
                any other argument is a template name the daemon draws (TEMPLATE GRAPH). \
                --server forces the daemon.
                """
        )

        enum Format: String, ExpressibleByArgument, CaseIterable { case dot, mermaid }

        @Argument(help: "Template file (YAML or JSON), - for standard input, or a published template's name.")
        var file: String

        @Option(help: "Diagram language: dot or mermaid.")
        var format: Format = .dot

        @Option(help: "Template version on the server (default the latest).")
        var version: Int?

        @Flag(help: "Ask the daemon even if a file of that name exists.")
        var server = false

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let isFile = meansFile(file)
            if server || !isFile {
                return try online(connection) { server, printer throws(ClientError) in
                    let graph = try server.templateGraph(file, version: version, format: format.rawValue)
                    printer.json ? printer.out(JSONRenderer.text(["format": .string(format.rawValue), "graph": .string(graph)]))
                        : printer.out(graph)
                }
            }
            let loaded = TemplateLoader.analyze(bytes: try readInput(file), file: file == "-" ? "<stdin>" : file)
            guard let template = loaded.template else {
                for diagnostic in loaded.diagnostics { printError(diagnostic.description) }
                throw ExitStatus.dataError
            }
            switch format {
            case .dot: print(TemplateGraph.dot(template), terminator: "")
            case .mermaid: print(TemplateGraph.mermaid(template), terminator: "")
            }
        }
    }

    struct Put: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish a template (role admin): a new version unless identical to the latest.")

        @Argument(help: "Template file (YAML); - reads standard input.")
        var file: String

        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            let text = String(decoding: try readInput(file), as: UTF8.self)
            try online(connection, source: file == "-" ? "<stdin>" : file) { server, printer throws(ClientError) in
                let published = try server.putTemplate(text)
                printer.done(published.reply, published.unchanged
                    ? "template \(published.name) unchanged at version \(published.version) (sha256 \(published.sha256))"
                    : "published template \(published.name) version \(published.version) (sha256 \(published.sha256))")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List published templates (latest versions).")
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                printer.reply(try server.perform(.init(verb: ["TEMPLATE", "LIST"])))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a published template's YAML as published.")
        @Argument(help: "The template's name.") var name: String
        @Option(help: "Version (default the latest).") var version: Int?
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                let source = try server.showTemplate(name, version: version)
                printer.json ? printer.reply(source.reply) : printer.out(source.yaml)
            }
        }
    }
}
