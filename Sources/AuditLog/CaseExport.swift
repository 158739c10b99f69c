// The case export file (docs/audit-format.md, "Case export"): one case's
// chain together with what a regulator reads beside it — the case as the
// server holds it, the template it runs on, its documents and signatures —
// in one JSON document that `CaseExportVerifier` checks offline.

/// One case, exported: everything `AUDIT EXPORT CASE` sends.
public struct CaseExport: Sendable, Equatable {
    public static let format = "atmp-case-export"
    public static let version: Int64 = 1

    /// When, by whom and by which server the file was made.
    public var exported: Exported
    /// The case as CASE SHOW describes it (id, template, state, version, …),
    /// as a JSON object; the verifier compares parts of it with the chain.
    public var snapshot: [String: JSONValue]
    public var template: ExportedTemplate
    /// The latest attachment of each document kind, in kind order.
    public var documents: [ExportedDocument]
    /// Every `signature.applied` of the chain, in chain order.
    public var signatures: [ExportedSignature]
    /// The case's chain, seq 1 up to the case version.
    public var events: [AuditEvent]

    public init(exported: Exported, snapshot: [String: JSONValue], template: ExportedTemplate,
                documents: [ExportedDocument], signatures: [ExportedSignature], events: [AuditEvent]) {
        self.exported = exported; self.snapshot = snapshot; self.template = template
        self.documents = documents; self.signatures = signatures; self.events = events
    }

    /// The hash of the last event (64 zeros for an empty chain).
    public var head: String { events.last?.hash ?? AuditEvent.genesisPrev }
}

public struct Exported: Sendable, Equatable {
    public var at: Timestamp
    /// The user who asked for the export.
    public var by: String
    /// e.g. `atmpd 0.1.0`.
    public var server: String
    public init(at: Timestamp, by: String, server: String) { self.at = at; self.by = by; self.server = server }

    var json: JSONValue { ["at": .string(at.rfc3339), "by": .string(by), "server": .string(server)] }
}

/// A published template version, with its YAML exactly as published.
public struct ExportedTemplate: Sendable, Equatable {
    public var name: String
    public var version: Int64
    /// Lowercase hex SHA-256 of `body`'s UTF-8 bytes, as the server stored it.
    public var sha256: String
    public var publishedAt: Timestamp
    public var publishedBy: String
    public var body: String
    public init(name: String, version: Int64, sha256: String, publishedAt: Timestamp, publishedBy: String, body: String) {
        self.name = name; self.version = version; self.sha256 = sha256
        self.publishedAt = publishedAt; self.publishedBy = publishedBy; self.body = body
    }

    /// `body` split at every LF: the file's `yaml` member. Joining the
    /// elements with LF gives the body back byte for byte.
    var yamlLines: [String] {
        body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}

/// A document attached to the case: metadata only, the server never holds content.
public struct ExportedDocument: Sendable, Equatable {
    public var kind: String
    public var sha256: String
    public var uri: String?
    public var title: String?
    /// The `document.attached` event that attached it.
    public var seq: Int64
    public var at: Timestamp
    public var by: String
    public init(kind: String, sha256: String, uri: String?, title: String?, seq: Int64, at: Timestamp, by: String) {
        self.kind = kind; self.sha256 = sha256; self.uri = uri; self.title = title; self.seq = seq
        self.at = at; self.by = by
    }

    var json: JSONValue {
        ["kind": .string(kind), "sha256": .string(sha256), "uri": .optional(uri), "title": .optional(title),
         "seq": .int(seq), "at": .string(at.rfc3339), "by": .string(by)]
    }

    /// The latest attachment of each kind according to the chain's
    /// `document.attached` events, in kind order (code points).
    public static func current(from events: [AuditEvent]) -> [ExportedDocument] {
        var latest: [String: ExportedDocument] = [:]
        for event in events where event.action == "document.attached" {
            guard let kind = event.data["kind"]?.stringValue, let sha256 = event.data["sha256"]?.stringValue else {
                continue
            }
            latest[kind] = ExportedDocument(
                kind: kind, sha256: sha256, uri: event.data["uri"]?.stringValue,
                title: event.data["title"]?.stringValue, seq: event.seq, at: event.at, by: event.actor)
        }
        return latest.values.sorted { CanonicalJSON.codePointPrecedes($0.kind, $1.kind) }
    }
}

/// An electronic signature as its `signature.applied` event records it.
public struct ExportedSignature: Sendable, Equatable {
    public var transition: String
    public var meaning: String
    public var signer: String
    public var role: String
    public var at: Timestamp
    /// Hash of the event the signature was given on (the chain head at signing).
    public var record: String
    public var reason: String?
    /// The `signature.applied` event.
    public var seq: Int64
    public init(transition: String, meaning: String, signer: String, role: String, at: Timestamp, record: String,
                reason: String?, seq: Int64) {
        self.transition = transition; self.meaning = meaning; self.signer = signer; self.role = role
        self.at = at; self.record = record; self.reason = reason; self.seq = seq
    }

    var json: JSONValue {
        ["transition": .string(transition), "meaning": .string(meaning), "signer": .string(signer),
         "role": .string(role), "at": .string(at.rfc3339), "record": .string(record),
         "reason": .optional(reason), "seq": .int(seq)]
    }

    /// Every `signature.applied` event of the chain, in order.
    public static func all(from events: [AuditEvent]) -> [ExportedSignature] {
        events.compactMap { event in
            guard event.action == "signature.applied",
                  let transition = event.data["transition"]?.stringValue,
                  let meaning = event.data["meaning"]?.stringValue,
                  let record = event.data["record"]?.stringValue
            else { return nil }
            return ExportedSignature(
                transition: transition, meaning: meaning, signer: event.actor, role: event.role, at: event.at,
                record: record, reason: event.data["reason"]?.stringValue, seq: event.seq)
        }
    }
}

// MARK: - Writing

extension CaseExport {
    /// The file: one JSON object, laid out so that `grep` finds things in it —
    /// each top-level member on its own line, and one line per template YAML
    /// line, document, signature and event. Every value is canonical JSON
    /// (JCS); each event line is exactly what AUDIT TRAIL sends for it, plus
    /// the separating comma. No line starts with `.`.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024 + events.count * 400 + template.body.utf8.count * 2)
        func text(_ s: String) { out.append(contentsOf: s.utf8) }
        func member(_ key: String, _ value: JSONValue, last: Bool = false) {
            CanonicalJSON.appendString(key, to: &out)
            text(":")
            value.appendCanonicalJSON(to: &out)
            text(last ? "\n" : ",\n")
        }
        func lines<T>(_ key: String, _ items: [T], last: Bool = false, _ write: (T) -> Void) {
            CanonicalJSON.appendString(key, to: &out)
            text(":[")
            for (index, item) in items.enumerated() {
                text(index == 0 ? "\n" : ",\n")
                write(item)
            }
            text(items.isEmpty ? "]" : "\n]")
            text(last ? "" : ",\n")
        }

        text("{\"format\":")
        CanonicalJSON.appendString(Self.format, to: &out)
        text(",\"version\":\(Self.version),\n")
        member("exported", exported.json)
        member("case", .object(snapshot))
        // The template's members in canonical order, `yaml` (last) one line per line.
        text("\"template\":{\"name\":")
        CanonicalJSON.appendString(template.name, to: &out)
        text(",\"published-at\":")
        CanonicalJSON.appendString(template.publishedAt.rfc3339, to: &out)
        text(",\"published-by\":")
        CanonicalJSON.appendString(template.publishedBy, to: &out)
        text(",\"sha256\":")
        CanonicalJSON.appendString(template.sha256, to: &out)
        text(",\"version\":\(template.version),")
        lines("yaml", template.yamlLines, last: true) { CanonicalJSON.appendString($0, to: &out) }
        text("},\n")
        lines("documents", documents) { $0.json.appendCanonicalJSON(to: &out) }
        lines("signatures", signatures) { $0.json.appendCanonicalJSON(to: &out) }
        member("head", .string(head))
        lines("events", events, last: true) { $0.appendCanonicalJSON(includingHash: true, to: &out) }
        text("}\n")
        return out
    }
}
