import Testing
@testable import Workflow

/// Loads inline YAML as file `t.yaml`.
func analyze(_ yaml: String) -> TemplateAnalysis {
    TemplateLoader.analyze(yaml: yaml, file: "t.yaml")
}

/// Errors as `LINE:COLUMN: MESSAGE`, in the order reported.
func errors(_ yaml: String) -> [String] {
    analyze(yaml).errors.map { "\($0.line):\($0.column): \($0.message)" }
}

func warnings(_ yaml: String) -> [String] {
    analyze(yaml).warnings.map { "\($0.line):\($0.column): \($0.message)" }
}

/// Expects exactly one error, at `line`:`column`, whose message contains `text`.
func expectSingleError(
    _ yaml: String, at line: Int, _ column: Int, _ text: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let found = analyze(yaml).errors
    #expect(found.count == 1, "errors: \(found.map(\.description))", sourceLocation: sourceLocation)
    guard let error = found.first else { return }
    #expect(error.line == line && error.column == column, "\(error)", sourceLocation: sourceLocation)
    #expect(error.message.contains(text), "\(error)", sourceLocation: sourceLocation)
}

/// A minimal valid template; lines are numbered in the comments of tests that edit it.
let minimal = """
template: t
roles: {lead: Lead}
stages: {main: Main}
initial: a
states:
  a:
    stage: main
    title: A
    transitions:
      go: {to: b, roles: [lead]}
  b: {stage: main, title: B, final: true}
"""

/// Error positions as `LINE:COLUMN`, in the order reported.
func errorPositions(_ yaml: String) -> [String] {
    analyze(yaml).errors.map { "\($0.line):\($0.column)" }
}
