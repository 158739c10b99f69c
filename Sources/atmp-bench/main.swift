import AuditLog
import CaseEngine
import Foundation
import Workflow

// The core benchmark: how fast the pure core decides, evolves and hashes, and
// how long templates take to load and validate. Run it in release mode:
//
//     swift run -c release atmp-bench [--events N] [--workflows DIR] [--states N]
//                                     [--only engine|templates] [--no-phases] [--json]
//
// It measures; it asserts nothing. Figures go in docs/benchmarks.md.

struct Options {
    var events = 1_000_000
    var workflows = "Workflows"
    var generatedStates = 5_000
    var engine = true
    var templates = true
    var phases = true
    var json = false

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        while let flag = rest.popFirst() {
            switch flag {
            case "--events": events = rest.popFirst().flatMap(Int.init) ?? events
            case "--workflows": workflows = rest.popFirst() ?? workflows
            case "--states": generatedStates = rest.popFirst().flatMap(Int.init) ?? generatedStates
            case "--only":
                let part = rest.popFirst()
                engine = part == "engine"
                templates = part == "templates"
                if !engine && !templates { fail("--only takes engine or templates") }
            case "--no-phases": phases = false
            case "--json": json = true
            case "-h", "--help":
                print("""
                    usage: atmp-bench [--events N] [--workflows DIR] [--states N]
                                      [--only engine|templates] [--no-phases] [--json]
                    """)
                exit(0)
            default:
                fail("unknown option \(flag)")
            }
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("atmp-bench: \(message)\n".utf8))
    exit(64)
}

let options = Options(CommandLine.arguments)
let engine = options.engine ? EngineBenchmark.run(events: options.events) : nil
// The per-phase run reads the clock around every call, so it is separate and shorter.
let phases = options.engine && options.phases ? EngineBenchmark.runPhases(events: min(options.events, 200_000)) : nil
let templates = options.templates
    ? TemplateBenchmark.run(directory: options.workflows, generatedStates: options.generatedStates) : []

func decimal(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

if options.json {
    var members: [String] = []
    if let engine {
        var fields = ["\"events\": \(engine.events)", "\"seconds\": \(decimal(engine.seconds, 3))",
                      "\"events_per_second\": \(Int(engine.eventsPerSecond))"]
        if let phases {
            fields.append("""
                "phases_us_per_event": {"decide": \(decimal(phases.microsPerEvent(phases.decide), 3)), \
                "seal": \(decimal(phases.microsPerEvent(phases.seal), 3)), \
                "evolve": \(decimal(phases.microsPerEvent(phases.evolve), 3))}
                """)
        }
        members.append("\"engine\": {\(fields.joined(separator: ", "))}")
    }
    if options.templates {
        let items = templates.map {
            "{\"name\": \"\($0.name)\", \"bytes\": \($0.bytes), \"states\": \($0.states), \"median_ms\": \(decimal($0.medianSeconds * 1000, 2))}"
        }
        members.append("\"templates\": [\(items.joined(separator: ", "))]")
    }
    print("{\(members.joined(separator: ", "))}")
} else {
    print("ATMP Tracker core benchmark (one thread)")
    if let engine {
        print("")
        print("engine: \(engine.events) events in \(decimal(engine.seconds, 2)) s = \(Int(engine.eventsPerSecond)) events/s (decide + seal + evolve)")
    }
    if let phases {
        print("engine phases (µs per event, \(phases.events) events): decide \(decimal(phases.microsPerEvent(phases.decide), 2)), seal \(decimal(phases.microsPerEvent(phases.seal), 2)), evolve \(decimal(phases.microsPerEvent(phases.evolve), 2))")
    }
    if options.templates {
        print("")
        if templates.isEmpty { print("templates: nothing to load") }
        for result in templates {
            print("template \(result.name): \(result.bytes) bytes, \(result.states) states, load+validate median \(formatMilliseconds(result.medianSeconds))")
        }
    }
}
