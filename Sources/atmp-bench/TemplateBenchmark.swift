import Foundation
import Workflow

/// Load + validate time of the shipped templates and of a generated large one.
enum TemplateBenchmark {
    static func run(directory: String, generatedStates: Int) {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory))?
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted() ?? []
        if files.isEmpty { print("templates: no YAML files in \(directory)") }
        for name in files {
            let path = directory + "/" + name
            guard let bytes = FileManager.default.contents(atPath: path).map(Array.init) else { continue }
            var states = 0
            let median = Stopwatch.median(runs: 21) {
                states = TemplateLoader.analyze(bytes: bytes, file: path).template?.states.count ?? -1
            }
            print("template \(name): \(bytes.count) bytes, \(states) states, load+validate median \(formatMilliseconds(median))")
        }
        let generated = Array(TemplateGenerator.chain(states: generatedStates).utf8)
        var states = 0
        let median = Stopwatch.median(runs: 11) {
            states = TemplateLoader.analyze(bytes: generated, file: "generated.yaml").template?.states.count ?? -1
        }
        print("template generated: \(generated.count) bytes, \(states) states, load+validate median \(formatMilliseconds(median))")
    }
}
