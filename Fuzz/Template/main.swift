// libFuzzer entry for template loading: YAML pre-scan, libyaml composition,
// decoding, validation and, on success, both graph exports. Built by
// scripts/fuzz together with Sources/Workflow (and libyaml from Yams' CYaml)
// as one module; see docs/fuzzing.md.
//
// Beyond "no crash" it checks invariants that cost little:
// - a template comes out exactly when there is no error diagnostic;
// - validation is deterministic: one composed tree validated twice gives equal
//   diagnostics and equal templates, and the same as `analyze` on the bytes.
// Each input is composed twice and validated three times at most; executions
// per second, not extra checks, find most bugs.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTemplate(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let analysis = TemplateLoader.analyze(bytes: bytes, file: "fuzz.yaml")
    check((analysis.template != nil) == analysis.errors.isEmpty, "a template came out with errors, or none without")
    guard TextPosition.firstInvalidUTF8(in: bytes) == nil, bytes.count <= TemplateLimits.maxBodyBytes else { return 0 }

    let text = String(decoding: bytes, as: UTF8.self)
    switch TemplateLoader.compose(yaml: text, file: "fuzz.yaml") {
    case .failed(let failed):
        check(failed.diagnostics == analysis.diagnostics, "composition failed differently the second time")
    case .composed(let composed):
        let again = TemplateLoader.validate(composed)
        check(again.diagnostics == analysis.diagnostics, "a second load gives other diagnostics")
        check(again.template == analysis.template, "a second load gives another template")
        if analysis.template != nil {
            check(TemplateLoader.validate(composed).template == again.template, "validating one tree twice differs")
        }
    }

    if let template = analysis.template {
        let dot = TemplateGraph.dot(template)
        let mermaid = TemplateGraph.mermaid(template)
        check(dot.hasPrefix("digraph ") && dot.hasSuffix("}\n"), "DOT export is not one digraph")
        check(mermaid.hasPrefix("stateDiagram-v2\n"), "Mermaid export lacks its header")
    }
    return 0
}

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant broken: \(message())") }
}
