import Foundation
import Workflow

/// Load + validate time of the shipped templates and of a generated large one.
enum TemplateBenchmark {
    struct Result {
        var name: String
        var bytes: Int
        var states: Int
        var medianSeconds: Double
    }

    static func run(directory: String, generatedStates: Int) -> [Result] {
        var results: [Result] = []
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory))?
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted() ?? []
        for name in files {
            let path = directory + "/" + name
            guard let bytes = FileManager.default.contents(atPath: path).map(Array.init) else { continue }
            results.append(measure(name: name, bytes: bytes, runs: 21))
        }
        if generatedStates > 0 {
            let generated = Array(TemplateGenerator.chain(states: generatedStates).utf8)
            results.append(measure(name: "generated", bytes: generated, runs: 11))
        }
        return results
    }

    private static func measure(name: String, bytes: [UInt8], runs: Int) -> Result {
        var states = 0
        let median = Stopwatch.median(runs: runs) {
            states = TemplateLoader.analyze(bytes: bytes, file: name).template?.states.count ?? -1
        }
        return Result(name: name, bytes: bytes.count, states: states, medianSeconds: median)
    }
}
