import ArgumentParser
import Workflow

struct TemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Check and draw workflow templates.",
        subcommands: [Check.self, Graph.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate template files.",
            discussion: """
                Prints every error as FILE:LINE:COLUMN: error: MESSAGE on standard error. \
                Exits 0 when every file is valid, 65 otherwise.
                """
        )

        @Argument(help: "Template files (YAML or JSON); - reads standard input.")
        var files: [String]

        @Flag(name: .shortAndLong, help: "Print nothing for valid files.")
        var quiet = false

        func run() async throws {
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
    }

    struct Graph: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw a template as a Graphviz DOT or Mermaid state diagram."
        )

        enum Format: String, ExpressibleByArgument, CaseIterable { case dot, mermaid }

        @Argument(help: "Template file (YAML or JSON); - reads standard input.")
        var file: String

        @Option(help: "Diagram language: dot or mermaid.")
        var format: Format = .dot

        func run() async throws {
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
}
