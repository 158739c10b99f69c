import Foundation
import Workflow

/// The two halves of loading a template, timed apart: composition (limits on
/// the text, then libyaml's parser and `YAMLComposer`'s node tree) and
/// validation (shape, meaning, and building the `Template`) of an already
/// composed tree. `TemplateLoader.analyze` is exactly the one then the other.
enum ValidatorBenchmark {
    struct Result {
        var name: String
        var bytes: Int
        var states: Int
        var composeMedianSeconds: Double
        var validateMedianSeconds: Double
    }

    static func run(templates: [TemplateSource], runs: Int) -> [Result] {
        templates.map { measure($0, runs: runs) }
    }

    private static func measure(_ source: TemplateSource, runs: Int) -> Result {
        let yaml = String(decoding: source.bytes, as: UTF8.self)
        guard case .composed(let composed) = TemplateLoader.compose(yaml: yaml, file: source.name) else {
            fatalError("\(source.name) does not compose")
        }
        var states = 0
        let compose = Stopwatch.median(runs: runs) {
            if case .failed = TemplateLoader.compose(yaml: yaml, file: source.name) { states = -1 }
        }
        let validate = Stopwatch.median(runs: runs) {
            states = TemplateLoader.validate(composed).template?.states.count ?? -1
        }
        return Result(name: source.name, bytes: source.bytes.count, states: states,
                      composeMedianSeconds: compose, validateMedianSeconds: validate)
    }
}

/// A template's text to benchmark: a shipped file or the generated chain.
struct TemplateSource {
    var name: String
    var bytes: [UInt8]

    /// `*.yaml` and `*.yml` in `directory`, by name, then the generated chain
    /// of `generatedStates` states (none when 0).
    static func load(directory: String, generatedStates: Int) -> [TemplateSource] {
        var sources: [TemplateSource] = []
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory))?
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted() ?? []
        for name in files {
            guard let bytes = FileManager.default.contents(atPath: directory + "/" + name).map(Array.init) else {
                continue
            }
            sources.append(TemplateSource(name: name, bytes: bytes))
        }
        if generatedStates > 0 {
            sources.append(TemplateSource(name: "generated",
                                          bytes: Array(TemplateGenerator.chain(states: generatedStates).utf8)))
        }
        return sources
    }
}
