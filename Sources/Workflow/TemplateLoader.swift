/// What loading a template produced: the template when there were no errors,
/// and every diagnostic (errors and warnings) sorted by position.
public struct TemplateAnalysis: Sendable {
    public var template: Template?
    public var diagnostics: [Diagnostic]

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
}

/// Turns template text into a validated `Template`.
///
/// The stages, each bounded so hostile input fails fast:
/// 1. limits on the raw text (size, UTF-8, NUL, estimated nesting) — `YAMLPrescan`;
/// 2. YAML composition into a `YAMLNode` tree with line/column marks —
///    `YAMLComposer` (libyaml events; no anchors, no duplicate keys, exact depth limit);
/// 3. shape (keys, types, names, durations) — `TemplateDecoder`, node-budgeted;
/// 4. meaning (references, graph, clocks) — `TemplateChecker`;
/// 5. the `Template` model, built only when no error was found.
public enum TemplateLoader {
    public static func load(yaml: String, file: String) -> Result<Template, TemplateErrors> {
        result(analyze(yaml: yaml, file: file))
    }

    public static func load(bytes: [UInt8], file: String) -> Result<Template, TemplateErrors> {
        result(analyze(bytes: bytes, file: file))
    }

    /// Raw bytes, e.g. a request body: checked for size and UTF-8 before anything else.
    public static func analyze(bytes: [UInt8], file: String) -> TemplateAnalysis {
        var sink = DiagnosticSink(file: file)
        if bytes.count > TemplateLimits.maxBodyBytes {
            sink.error(.start, tooLarge(bytes.count))
            return TemplateAnalysis(template: nil, diagnostics: sink.sorted)
        }
        if let bad = TextPosition.firstInvalidUTF8(in: bytes) {
            sink.error(bad, "the template is not valid UTF-8")
            return TemplateAnalysis(template: nil, diagnostics: sink.sorted)
        }
        return analyze(yaml: String(decoding: bytes, as: UTF8.self), file: file)
    }

    public static func analyze(yaml: String, file: String) -> TemplateAnalysis {
        var sink = DiagnosticSink(file: file)
        func failed() -> TemplateAnalysis { TemplateAnalysis(template: nil, diagnostics: sink.sorted) }

        let size = yaml.utf8.count
        if size > TemplateLimits.maxBodyBytes {
            sink.error(.start, tooLarge(size))
            return failed()
        }
        if let finding = YAMLPrescan.check(yaml.utf8) {
            sink.error(finding.position, finding.message)
            return failed()
        }

        let root: YAMLNode
        do {
            guard let node = try YAMLComposer.compose(yaml) else {
                sink.error(.start, "the template is empty")
                return failed()
            }
            root = node
        } catch {
            for problem in error.problems { sink.error(problem.at, problem.message) }
            return failed()
        }

        var decoder = TemplateDecoder(file: file)
        let draft: TemplateDraft
        do {
            draft = try decoder.decode(root)
        } catch let exhausted as NodeReader.NodeBudgetExhausted {
            sink.error(exhausted.at, "the template has more than \(TemplateLimits.maxNodes) YAML nodes")
            return failed()
        } catch {
            sink.error(.start, "cannot read the template: \(error)")
            return failed()
        }

        var checker = TemplateChecker(draft: draft, sink: decoder.reader.sink)
        checker.check()
        let diagnostics = checker.sink.sorted
        if checker.sink.hasErrors { return TemplateAnalysis(template: nil, diagnostics: diagnostics) }
        return TemplateAnalysis(template: TemplateBuilder.build(draft), diagnostics: diagnostics)
    }

    private static func result(_ analysis: TemplateAnalysis) -> Result<Template, TemplateErrors> {
        if let template = analysis.template { return .success(template) }
        return .failure(TemplateErrors(analysis.diagnostics))
    }

    private static func tooLarge(_ size: Int) -> String {
        "the template is \(size) bytes; the limit is \(TemplateLimits.maxBodyBytes) bytes (1 MiB)"
    }
}
