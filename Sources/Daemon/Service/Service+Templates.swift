import AuditLog
import ControlProtocol
import Crypto
import Storage
import Workflow

// TEMPLATE PUT, CHECK, LIST, SHOW, GRAPH, and publishing a directory at start.
extension CommandService {
    func putTemplate(_ body: String, _ session: Session) async throws(ServiceFailure) -> Outcome {
        let (template, warnings) = try validate(body)
        let actor = session.user ?? ""
        let published = try await publish(template, body: body, actor: actor, role: SystemRole.admin)
        var fields = [
            Field("template", published.template.name), Field("version", String(published.template.version)),
            Field("sha256", published.template.sha256),
        ]
        if published.unchanged { fields.append(Field("unchanged", "true")) }
        logger.info("template published", metadata: [
            "user": "\(actor)", "template": "\(template.name)", "version": "\(published.template.version)",
            "unchanged": "\(published.unchanged)",
        ])
        return Outcome(.ok(warnings.map(Self.warningRecord), fields: fields))
    }

    func checkTemplate(_ body: String) throws(ServiceFailure) -> Outcome {
        let (_, warnings) = try validate(body)
        return Outcome(.ok(warnings.map(Self.warningRecord)))
    }

    func listTemplates() async throws(ServiceFailure) -> Outcome {
        let latest = try await storeCall { () async throws(StoreError) in try await store.latestTemplates() }
        return Outcome(.ok(latest.map { stored in
            var fields = [Field("name", stored.name), Field("version", String(stored.version))]
            if let title = stored.title { fields.append(Field("title", title)) }
            fields.append(Field("states", String(stored.states)))
            return ReplyRecord("template", fields: fields)
        }, fields: [Field("count", String(latest.count))]))
    }

    func showTemplate(_ request: Request) async throws(ServiceFailure) -> Outcome {
        let entry = try await templateEntry(request.positional[0], version: try Arguments.version(request))
        let stored = entry.stored
        return Outcome(.ok([ReplyRecord("template", fields: [
            Field("name", stored.name), Field("version", String(stored.version)), Field("sha256", stored.sha256),
            Field("published-by", stored.publishedBy), Field("published-at", stored.publishedAt.rfc3339),
        ], data: stored.body)]))
    }

    func graphTemplate(_ request: Request) async throws(ServiceFailure) -> Outcome {
        let format = request["format"] ?? "dot"
        guard format == "dot" || format == "mermaid" else {
            throw .badArgument("format=\(format): dot or mermaid")
        }
        let entry = try await templateEntry(request.positional[0], version: try Arguments.version(request))
        let source = format == "dot" ? TemplateGraph.dot(entry.template) : TemplateGraph.mermaid(entry.template)
        return Outcome(.ok([ReplyRecord("graph", fields: [
            Field("format", format), Field("name", entry.stored.name), Field("version", String(entry.stored.version)),
        ], data: source)]))
    }

    /// Publishes every `*.yaml` / `*.yml` file of `directory` (in name order)
    /// as actor and role `system`; bodies identical to the latest version are
    /// no-ops. Invalid or unreadable files are logged and skipped. Returns one
    /// line per problem (`FILE: message`), empty when all went well.
    public func publishWorkflows(directory: String) async -> [String] {
        let names: [String]
        do { names = try WorkflowDirectory.yamlFiles(in: directory) } catch {
            let problem = "\(directory): \(error)"
            logger.error("cannot read workflows directory", metadata: ["problem": "\(problem)"])
            return [problem]
        }
        var problems: [String] = []
        for name in names {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            guard let body = WorkflowDirectory.read(path) else {
                problems.append("\(path): cannot read the file")
                continue
            }
            do throws(ServiceFailure) {
                let (template, _) = try validate(body, file: path)
                let published = try await publish(template, body: body, actor: AuditEvent.systemActor,
                                                  role: AuditEvent.systemActor)
                logger.info("workflow published", metadata: [
                    "file": "\(path)", "template": "\(template.name)", "version": "\(published.template.version)",
                    "unchanged": "\(published.unchanged)",
                ])
            } catch {
                let reply = error.outcome.reply
                let details = reply.records.map { "line \($0["line"] ?? "?"): \($0["message"] ?? "")" }
                let message = ([reply.error?.message ?? "failed"] + details).joined(separator: "; ")
                problems.append("\(path): \(message)")
            }
        }
        for problem in problems { logger.error("workflow not published", metadata: ["problem": "\(problem)"]) }
        return problems
    }

    // MARK: Shared

    /// The template version, or 550.
    func templateEntry(_ name: String, version: Int?) async throws(ServiceFailure) -> TemplateCache.Entry {
        let entry = try await storeCall { () async throws(StoreError) in try await templates.entry(named: name, version: version) }
        guard let entry else {
            throw .notFound(version.map { "no template \(name) version \($0)" } ?? "no template \(name)")
        }
        return entry
    }

    /// Loads a body; 501 when over the size limit, 554 with one `error` record per error.
    private func validate(_ body: String, file: String = "request") throws(ServiceFailure) -> (Template, [Diagnostic]) {
        let bytes = Array(body.utf8)
        guard bytes.count <= configuration.maxDataBytes else {
            throw .badArgument("the template is \(bytes.count) bytes; the limit is \(configuration.maxDataBytes)")
        }
        let analysis = TemplateLoader.analyze(bytes: bytes, file: file)
        guard let template = analysis.template else {
            let errors = analysis.errors
            throw ServiceFailure(.invalidTemplate("the template has \(errors.count) error(s)"),
                                 records: errors.map { Self.diagnosticRecord("error", $0) })
        }
        return (template, analysis.warnings)
    }

    private func publish(_ template: Template, body: String, actor: String, role: String)
        async throws(ServiceFailure) -> PublishedTemplate
    {
        let draft = Storage.TemplateDraft(
            name: template.name, title: template.title, states: template.states.count, body: body,
            sha256: Self.sha256Hex(Array(body.utf8)))
        let published = try await storeCall { () async throws(StoreError) in
            try await store.publishTemplate(draft, by: actor, role: role, at: clock.now())
        }
        if let event = published.event { publish([event], template: nil, state: nil) }
        return published
    }

    static func warningRecord(_ diagnostic: Diagnostic) -> ReplyRecord { diagnosticRecord("warning", diagnostic) }

    static func diagnosticRecord(_ type: String, _ diagnostic: Diagnostic) -> ReplyRecord {
        ReplyRecord(type, fields: [
            Field("line", String(diagnostic.line)), Field("column", String(diagnostic.column)),
            Field("message", diagnostic.message),
        ])
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
