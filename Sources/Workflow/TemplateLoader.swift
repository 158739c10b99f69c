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
        switch compose(yaml: yaml, file: file) {
        case .failed(let analysis): return analysis
        case .composed(let composed): return validate(composed)
        }
    }

    /// Stages 1–2 alone: the limits on the text and YAML composition. A
    /// failure is the finished analysis (errors only, no template). Public so
    /// that `atmp-bench` can time composition and validation apart;
    /// `analyze` is exactly `compose` then `validate`.
    public static func compose(yaml: String, file: String) -> TemplateComposition {
        var sink = DiagnosticSink(file: file)
        func failed() -> TemplateComposition { .failed(TemplateAnalysis(template: nil, diagnostics: sink.sorted)) }

        let size = yaml.utf8.count
        if size > TemplateLimits.maxBodyBytes {
            sink.error(.start, tooLarge(size))
            return failed()
        }
        if let finding = YAMLPrescan.check(yaml.utf8) {
            sink.error(finding.position, finding.message)
            return failed()
        }
        do {
            guard let node = try YAMLComposer.compose(yaml) else {
                sink.error(.start, "the template is empty")
                return failed()
            }
            return .composed(ComposedTemplate(root: node, file: file))
        } catch {
            for problem in error.problems { sink.error(problem.at, problem.message) }
            return failed()
        }
    }

    /// Stages 3–5: shape, meaning, and the `Template` when there is no error.
    /// Reads the composed tree without changing it, so one tree can be
    /// validated any number of times.
    public static func validate(_ composed: ComposedTemplate) -> TemplateAnalysis {
        var decoder = TemplateDecoder(file: composed.file)
        let draft: TemplateDraft
        do {
            draft = try decoder.decode(composed.root)
        } catch let exhausted as NodeReader.NodeBudgetExhausted {
            var sink = DiagnosticSink(file: composed.file)
            sink.error(exhausted.at, "the template has more than \(TemplateLimits.maxNodes) YAML nodes")
            return TemplateAnalysis(template: nil, diagnostics: sink.sorted)
        } catch {
            var sink = DiagnosticSink(file: composed.file)
            sink.error(.start, "cannot read the template: \(error)")
            return TemplateAnalysis(template: nil, diagnostics: sink.sorted)
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

/// What `TemplateLoader.compose` produced: a tree to validate, or the
/// analysis of a text that failed before validation.
public enum TemplateComposition: Sendable {
    case composed(ComposedTemplate)
    case failed(TemplateAnalysis)
}

/// A template's YAML composed into a node tree, not yet read or checked: what
/// `TemplateLoader.compose` hands to `TemplateLoader.validate`. Opaque: the
/// node tree is the loader's business.
public struct ComposedTemplate: Sendable {
    let root: YAMLNode
    let file: String
}
