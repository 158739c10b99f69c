import AuditLog
import CaseEngine
import Foundation
import Workflow

// The core benchmark: how fast the pure core decides, evolves and hashes, and
// how long templates take to load and validate. Run it in release mode:
//
//     swift run -c release atmp-bench [--events N] [--workflows DIR]
//
// It measures; it asserts nothing. Figures go in docs/benchmarks.md.

struct Options {
    var events = 1_000_000
    var workflows = "Workflows"
    var generatedStates = 5_000

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        while let flag = rest.popFirst() {
            switch flag {
            case "--events": events = rest.popFirst().flatMap(Int.init) ?? events
            case "--workflows": workflows = rest.popFirst() ?? workflows
            case "--states": generatedStates = rest.popFirst().flatMap(Int.init) ?? generatedStates
            case "-h", "--help":
                print("usage: atmp-bench [--events N] [--workflows DIR] [--states N]")
                exit(0)
            default:
                FileHandle.standardError.write(Data("atmp-bench: unknown option \(flag)\n".utf8))
                exit(64)
            }
        }
    }
}

let options = Options(CommandLine.arguments)
print("ATMP Tracker core benchmark (one thread)")
print("")
EngineBenchmark.run(events: options.events)
print("")
TemplateBenchmark.run(directory: options.workflows, generatedStates: options.generatedStates)
