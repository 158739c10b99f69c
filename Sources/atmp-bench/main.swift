import Foundation

// The core micro-benchmarks: how fast the pure core decides, evolves and
// hashes, how long templates take to compose and validate, and how fast the
// control protocol's lines are parsed. Run it in release mode:
//
//     swift run -c release atmp-bench [--only PART[,PART…]] [sizes…] [--json]
//     swift run atmp-bench --smoke      # every part once, tiny sizes (CI)
//
// It measures; it asserts nothing. Figures go in docs/benchmarks.md.

enum Part: String, CaseIterable {
    case engine, templates, validator, parser, canonical
}

struct Options {
    var parts = Set(Part.allCases)
    var events = 1_000_000
    var phases = true
    var workflows = "Workflows"
    var generatedStates = 5_000
    /// Runs per template (median); nil: 21 for shipped templates, 11 for the generated one.
    var runs: Int?
    var lines = 1_000_000
    var auditEvents = 1_000_000
    var json = false

    static let usage = """
        usage: atmp-bench [--only PART[,PART…]]… [--smoke] [--json]
                          [--events N] [--no-phases] [--workflows DIR] [--states N] [--runs N]
                          [--lines N] [--audit-events N]
          PART: \(Part.allCases.map(\.rawValue).joined(separator: ", ")) (default: all)
          --smoke  tiny sizes for every part (a test that each runs, not a measurement)
        """

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        var onlyGiven = false
        func count(_ flag: String) -> Int {
            guard let text = rest.popFirst(), let value = Int(text), value >= 0 else {
                fail("\(flag) takes a whole number")
            }
            return value
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--only":
                guard let list = rest.popFirst() else { fail("--only takes a part") }
                if !onlyGiven { parts = [] }
                onlyGiven = true
                for name in list.split(separator: ",") {
                    guard let part = Part(rawValue: String(name)) else {
                        fail("unknown part \(name) (parts: \(Part.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    parts.insert(part)
                }
            case "--smoke":
                events = 1_000
                generatedStates = 50
                runs = 1
                lines = 1_000
                auditEvents = 1_000
            case "--events": events = count(flag)
            case "--no-phases": phases = false
            case "--workflows":
                guard let directory = rest.popFirst() else { fail("--workflows takes a directory") }
                workflows = directory
            case "--states": generatedStates = count(flag)
            case "--runs": runs = max(1, count(flag))
            case "--lines": lines = count(flag)
            case "--audit-events": auditEvents = count(flag)
            case "--json": json = true
            case "-h", "--help":
                print(Options.usage)
                exit(0)
            default:
                fail("unknown option \(flag)\n\(Options.usage)")
            }
        }
    }

    func runs(for source: TemplateSource) -> Int { runs ?? (source.name == "generated" ? 11 : 21) }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("atmp-bench: \(message)\n".utf8))
    exit(64)
}

let options = Options(CommandLine.arguments)
let sources = options.parts.contains(.templates) || options.parts.contains(.validator)
    ? TemplateSource.load(directory: options.workflows, generatedStates: options.generatedStates) : []

var report = Report()
if options.parts.contains(.engine) {
    report.engine = EngineBenchmark.run(events: options.events)
    // The per-phase run reads the clock around every call, so it is separate and shorter.
    if options.phases { report.phases = EngineBenchmark.runPhases(events: min(options.events, 200_000)) }
}
if options.parts.contains(.templates) {
    report.templates = sources.flatMap { TemplateBenchmark.run(templates: [$0], runs: options.runs(for: $0)) }
}
if options.parts.contains(.validator) {
    report.validator = sources.flatMap { ValidatorBenchmark.run(templates: [$0], runs: options.runs(for: $0)) }
}
if options.parts.contains(.parser) { report.parser = ParserBenchmark.run(lines: options.lines) }
if options.parts.contains(.canonical) { report.canonical = CanonicalBenchmark.run(events: options.auditEvents) }

print(options.json ? report.json : report.text)
