import ControlProtocol

/// The answer to `TEMPLATE PUT`: `250 OK template=NAME version=N sha256=HEX [unchanged=true]`.
public struct PublishedTemplate: Sendable, Hashable {
    public var name: String
    public var version: Int
    public var sha256: String
    /// The text was identical to the latest version: no new version was made.
    public var unchanged: Bool
    /// The reply as received.
    public var reply: Reply
}

/// A template as published, from `TEMPLATE SHOW`.
public struct TemplateSource: Sendable, Hashable {
    public var name: String
    public var version: Int
    public var yaml: String
    /// The reply as received.
    public var reply: Reply
}

extension ControlConnection {
    /// `+TEMPLATE PUT` with the YAML as its data block; invalid → `.refused` 554
    /// with one `error line=… column=… message=…` record per error.
    public func putTemplate(_ yaml: String) throws(ClientError) -> PublishedTemplate {
        let reply = try perform(Request(hasData: true, verb: ["TEMPLATE", "PUT"]), data: yaml)
        let status = reply.status
        return PublishedTemplate(
            name: status?["template"] ?? "", version: status?["version"].flatMap { Int($0) } ?? 0,
            sha256: status?["sha256"] ?? "", unchanged: status?["unchanged"] == "true", reply: reply)
    }

    /// `+TEMPLATE CHECK`: validates on the server, changes nothing.
    @discardableResult
    public func checkTemplate(_ yaml: String) throws(ClientError) -> Reply {
        try perform(Request(hasData: true, verb: ["TEMPLATE", "CHECK"]), data: yaml)
    }

    public func listTemplates() throws(ClientError) -> [ReplyRecord] {
        try perform(Request(verb: ["TEMPLATE", "LIST"])).records.filter { $0.type == "template" }
    }

    public func showTemplate(_ name: String, version: Int? = nil) throws(ClientError) -> TemplateSource {
        let reply = try perform(Request(verb: ["TEMPLATE", "SHOW"], positional: [name],
                                        keyed: version.map { [Field("version", String($0))] } ?? []))
        guard let record = reply.records.first(where: { $0.type == "template" && $0.data != nil }) else {
            throw .malformedReply("TEMPLATE SHOW answered without a template data block")
        }
        return TemplateSource(name: record["name"] ?? name, version: record["version"].flatMap { Int($0) } ?? 0,
                              yaml: record.data ?? "", reply: reply)
    }

    /// `TEMPLATE GRAPH NAME [version=N] format=dot|mermaid` → the diagram source.
    public func templateGraph(_ name: String, version: Int? = nil, format: String) throws(ClientError) -> String {
        var keyed = version.map { [Field("version", String($0))] } ?? []
        keyed.append(Field("format", format))
        let reply = try perform(Request(verb: ["TEMPLATE", "GRAPH"], positional: [name], keyed: keyed))
        guard let data = reply.records.first(where: { $0.type == "graph" })?.data else {
            throw .malformedReply("TEMPLATE GRAPH answered without a graph data block")
        }
        return data
    }
}
