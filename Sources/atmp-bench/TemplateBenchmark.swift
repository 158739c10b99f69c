import Workflow

/// Load + validate time of the shipped templates and of a generated large one.
enum TemplateBenchmark {
    struct Result {
        var name: String
        var bytes: Int
        var states: Int
        var medianSeconds: Double
    }

    /// Median of `runs` loads per template.
    static func run(templates: [TemplateSource], runs: Int) -> [Result] {
        templates.map { source in
            var states = 0
            let median = Stopwatch.median(runs: runs) {
                states = TemplateLoader.analyze(bytes: source.bytes, file: source.name).template?.states.count ?? -1
            }
            return Result(name: source.name, bytes: source.bytes.count, states: states, medianSeconds: median)
        }
    }
}
