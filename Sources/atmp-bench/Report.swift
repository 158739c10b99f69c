import Foundation

/// The figures of one run, as text for people or as one JSON object for
/// scripts. Every part that ran starts its text with a line `PART: …`
/// (scripts/bench-smoke looks for them); JSON keys are stable: a part's key
/// is its name, and keys are only ever added.
struct Report {
    var engine: EngineBenchmark.Result?
    var phases: EngineBenchmark.Phases?
    var templates: [TemplateBenchmark.Result]?
    var validator: [ValidatorBenchmark.Result]?
    var parser: ParserBenchmark.Result?
    var canonical: CanonicalBenchmark.Result?

    var text: String {
        var lines = ["ATMP Tracker core benchmarks (one thread)"]
        if let engine {
            lines += ["", "engine: \(engine.events) events in \(decimal(engine.seconds, 2)) s = \(Int(engine.eventsPerSecond)) events/s (decide + seal + evolve)"]
        }
        if let phases {
            lines.append("engine phases (µs per event, \(phases.events) events): decide \(decimal(phases.microsPerEvent(phases.decide), 2)), seal \(decimal(phases.microsPerEvent(phases.seal), 2)), evolve \(decimal(phases.microsPerEvent(phases.evolve), 2))")
        }
        if let templates {
            lines += ["", templates.isEmpty ? "templates: nothing to load" : "templates: load + validate (TemplateLoader.analyze)"]
            for result in templates {
                lines.append("template \(result.name): \(result.bytes) bytes, \(result.states) states, load+validate median \(formatMilliseconds(result.medianSeconds))")
            }
        }
        if let validator {
            lines += ["", validator.isEmpty ? "validator: nothing to load" : "validator: composition (limits, YAML) and validation (shape, meaning, model) apart"]
            for result in validator {
                lines.append("validator \(result.name): \(result.bytes) bytes, \(result.states) states, compose median \(formatMilliseconds(result.composeMedianSeconds)), validate median \(formatMilliseconds(result.validateMedianSeconds))")
            }
        }
        if let parser {
            lines += [
                "",
                "parser: \(parser.lines) request lines (\(ParserBenchmark.requestLines.count)-line mix, \(ParserBenchmark.chunkSize)-byte reads): frame + parse \(decimal(parser.framedNanosPerLine, 0)) ns/line = \(perSecond(parser.framedNanosPerLine)) lines/s; parse alone \(decimal(parser.parseNanosPerLine, 0)) ns/line = \(perSecond(parser.parseNanosPerLine)) lines/s",
                "parser reply: 250 reply to a case change encoded in \(decimal(parser.replyNanos, 0)) ns = \(perSecond(parser.replyNanos)) replies/s",
            ]
        }
        if let canonical {
            let c = canonical
            lines += [
                "",
                "canonical: \(c.events) audit events (mean \(c.meanBytes) bytes of JSON): canonical JSON \(decimal(c.nanosPerEvent(c.canonicalSeconds), 0)) ns/event = \(perSecond(c.nanosPerEvent(c.canonicalSeconds))) events/s; + SHA-256 (computedHash) \(decimal(c.nanosPerEvent(c.hashSeconds), 0)) ns/event = \(perSecond(c.nanosPerEvent(c.hashSeconds))) events/s",
                "canonical case seal (CaseEvent.sealed): \(decimal(c.nanosPerEvent(c.caseSealSeconds), 0)) ns/event = \(perSecond(c.nanosPerEvent(c.caseSealSeconds))) events/s",
            ]
        }
        return lines.joined(separator: "\n")
    }

    var json: String {
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
        if let templates {
            let items = templates.map {
                "{\"name\": \(quoted($0.name)), \"bytes\": \($0.bytes), \"states\": \($0.states), \"median_ms\": \(decimal($0.medianSeconds * 1000, 3))}"
            }
            members.append("\"templates\": [\(items.joined(separator: ", "))]")
        }
        if let validator {
            let items = validator.map {
                "{\"name\": \(quoted($0.name)), \"bytes\": \($0.bytes), \"states\": \($0.states), \"compose_median_ms\": \(decimal($0.composeMedianSeconds * 1000, 3)), \"validate_median_ms\": \(decimal($0.validateMedianSeconds * 1000, 3))}"
            }
            members.append("\"validator\": [\(items.joined(separator: ", "))]")
        }
        if let parser {
            members.append("""
                "parser": {"lines": \(parser.lines), \
                "frame_parse_ns_per_line": \(decimal(parser.framedNanosPerLine, 1)), \
                "frame_parse_lines_per_second": \(perSecond(parser.framedNanosPerLine)), \
                "parse_ns_per_line": \(decimal(parser.parseNanosPerLine, 1)), \
                "parse_lines_per_second": \(perSecond(parser.parseNanosPerLine)), \
                "reply_ns": \(decimal(parser.replyNanos, 1)), \
                "replies_per_second": \(perSecond(parser.replyNanos))}
                """)
        }
        if let c = canonical {
            members.append("""
                "canonical": {"events": \(c.events), "mean_bytes": \(c.meanBytes), \
                "canonical_ns_per_event": \(decimal(c.nanosPerEvent(c.canonicalSeconds), 1)), \
                "canonical_events_per_second": \(perSecond(c.nanosPerEvent(c.canonicalSeconds))), \
                "hash_ns_per_event": \(decimal(c.nanosPerEvent(c.hashSeconds), 1)), \
                "hash_events_per_second": \(perSecond(c.nanosPerEvent(c.hashSeconds))), \
                "case_seal_ns_per_event": \(decimal(c.nanosPerEvent(c.caseSealSeconds), 1)), \
                "case_seal_events_per_second": \(perSecond(c.nanosPerEvent(c.caseSealSeconds)))}
                """)
        }
        return "{\(members.joined(separator: ", "))}"
    }
}

func decimal(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

/// Operations per second from nanoseconds per operation, as a whole number.
/// (0 when too little ran to be timed.)
private func perSecond(_ nanos: Double) -> Int { nanos > 0 ? Int(1e9 / nanos) : 0 }

/// A file name as a JSON string (names are ASCII in practice; quotes and
/// backslashes are escaped anyway).
private func quoted(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}
