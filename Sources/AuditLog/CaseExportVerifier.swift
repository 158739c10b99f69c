import Crypto

/// One thing wrong with a case export, and which part of the file it concerns.
public struct ExportProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Area: String, Sendable, Hashable {
        /// Not an export file, or a member missing or of the wrong type.
        case format
        /// The events: hashes, seq, prev links (the first break only).
        case chain
        /// `head`, the case version, or `--head`.
        case head
        /// The `case` snapshot disagrees with what the events lead to.
        case snapshot = "case"
        case template
        case documents
        case signatures
    }

    public var area: Area
    public var message: String
    public init(_ area: Area, _ message: String) { self.area = area; self.message = message }
    public var description: String { "\(area.rawValue): \(message)" }
}

/// A listed document and, when document files were given, whether one of them has its sha256.
public struct DocumentCheck: Sendable, Hashable {
    public var kind: String
    public var sha256: String
    /// nil when no files were given to look in.
    public var found: Bool?
}

public struct CaseExportReport: Sendable, Hashable {
    public var caseID: String?
    public var events: Int
    public var head: String?
    public var documents: [DocumentCheck]
    public var signatures: Int
    public var problems: [ExportProblem]
    public var isIntact: Bool { problems.isEmpty }
}

/// Verifies a case export file offline (docs/audit-format.md, "Case export").
///
/// The chain is checked as a trail is (every hash recomputed, seq 1…N, prev
/// links) and must end at the file's `head`, which must equal the case's head
/// and version. Everything else in the file is then checked against the chain:
/// the snapshot's state, title, template, attributes and hold; the template's
/// sha256 against its YAML; the document list against the latest
/// `document.attached` of each kind; each signature against its
/// `signature.applied` event, and its `record` against the hashes of earlier
/// events. Pure: the caller reads the file (and hashes any document files).
public enum CaseExportVerifier {
    /// Whether `bytes` look like an export rather than a JSON Lines trail: the
    /// file starts (after whitespace) with `{"format":"atmp-case-export"`.
    public static func looksLikeExport(_ bytes: some Collection<UInt8>) -> Bool {
        let prefix = Array("{\"format\":\"\(CaseExport.format)\"".utf8)
        let start = bytes.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        return start.starts(with: prefix)
    }

    /// Lowercase hex SHA-256, as the export's `sha256` members are written.
    public static func sha256Hex(_ bytes: [UInt8]) -> String { lowercaseHex(SHA256.hash(data: bytes)) }

    /// - Parameters:
    ///   - expectedHead: a head known from elsewhere (the server, a heads file).
    ///   - availableDocuments: sha256 digests of document files at hand; each
    ///     listed document is then reported found or missing (missing is a problem).
    public static func verify(
        _ bytes: some Collection<UInt8>, expectedHead: String? = nil, availableDocuments: Set<String>? = nil
    ) -> CaseExportReport {
        var run = ExportRun()
        run.verify(bytes, expectedHead: expectedHead, availableDocuments: availableDocuments)
        return run.report
    }
}

private struct ExportRun {
    var report = CaseExportReport(caseID: nil, events: 0, head: nil, documents: [], signatures: 0, problems: [])

    mutating func problem(_ area: ExportProblem.Area, _ message: String) {
        report.problems.append(ExportProblem(area, message))
    }

    mutating func verify(_ bytes: some Collection<UInt8>, expectedHead: String?, availableDocuments: Set<String>?) {
        let root: [String: JSONValue]
        do {
            guard case .object(let members) = try JSONValue.parse(bytes) else {
                return problem(.format, "the file is not a JSON object")
            }
            root = members
        } catch {
            return problem(.format, "\(error)")
        }
        guard root["format"]?.stringValue == CaseExport.format else {
            return problem(.format, "format is not \"\(CaseExport.format)\"")
        }
        guard root["version"]?.intValue == CaseExport.version else {
            return problem(.format, "version \(root["version"].map { "\($0)" } ?? "missing") is not supported; this verifier reads version \(CaseExport.version)")
        }
        let expected: Set<String> = ["format", "version", "exported", "case", "template", "documents", "signatures", "head", "events"]
        for key in root.keys.sorted() where !expected.contains(key) { problem(.format, "unexpected member \"\(key)\"") }
        guard let snapshot = root["case"]?.objectValue, let template = root["template"]?.objectValue,
              let documents = root["documents"]?.arrayValue, let signatures = root["signatures"]?.arrayValue,
              let head = root["head"]?.stringValue, let rawEvents = root["events"]?.arrayValue,
              root["exported"]?.objectValue != nil
        else {
            return problem(.format, "exported, case and template must be objects, documents, signatures and events arrays, head a string")
        }
        guard let id = snapshot["id"]?.stringValue else { return problem(.format, "case.id must be a string") }
        report.caseID = id
        report.head = head

        let events = checkChain(rawEvents, id: id, head: head)
        checkHead(head, snapshot: snapshot, events: events, expectedHead: expectedHead)
        checkSnapshot(snapshot, events: events)
        checkTemplate(template, snapshot: snapshot)
        checkDocuments(documents, events: events, available: availableDocuments)
        checkSignatures(signatures, events: events)
    }

    /// Reads and chain-verifies the events; returns those that could be read.
    mutating func checkChain(_ rawEvents: [JSONValue], id: String, head: String) -> [AuditEvent] {
        var verifier = ChainVerifier()
        var events: [AuditEvent] = []
        for (index, raw) in rawEvents.enumerated() {
            do {
                let event = try AuditEvent(jsonObject: raw)
                guard event.chain == id else {
                    problem(.chain, "events[\(index)] (seq \(event.seq)) belongs to chain \(event.chain), not to case \(id)")
                    continue
                }
                _ = verifier.check(event)
                events.append(event)
            } catch {
                verifier.markBroken(chain: id, reason: "events[\(index)] is not a readable audit event: \(error)")
            }
        }
        report.events = rawEvents.count
        if rawEvents.isEmpty { problem(.chain, "the export holds no events") }
        for found in verifier.finish(expectedHeads: [id: head]) {
            problem(.chain, "chain \(found.chain) broken at seq \(found.seq): \(found.reason)")
        }
        return events
    }

    mutating func checkHead(_ head: String, snapshot: [String: JSONValue], events: [AuditEvent], expectedHead: String?) {
        if let version = snapshot["version"]?.intValue {
            if version != Int64(events.count) || events.last.map({ $0.seq != version }) == true {
                problem(.head, "the case is at version \(version), but the export holds \(events.count) events ending at seq \(events.last?.seq ?? 0)")
            }
        } else {
            problem(.format, "case.version must be an integer")
        }
        if let caseHead = snapshot["head"]?.stringValue, caseHead != head {
            problem(.head, "the case's head \(caseHead) differs from the export's head \(head)")
        }
        if let expectedHead, expectedHead != head {
            problem(.head, "the export's head \(head) differs from the expected head \(expectedHead)")
        }
    }

    /// The case as its events make it: opened, then advanced, changed, held…
    mutating func checkSnapshot(_ snapshot: [String: JSONValue], events: [AuditEvent]) {
        guard let opened = events.first, opened.action == "case.opened" else {
            return problem(.snapshot, "the chain does not start with case.opened")
        }
        var state = opened.data["state"]?.stringValue
        var attributes = opened.data["attributes"]?.objectValue ?? [:]
        var hold: String?
        for event in events.dropFirst() {
            switch event.action {
            case "case.advanced":
                let from = event.data["from"]?.stringValue
                if from != state {
                    problem(.snapshot, "seq \(event.seq) advances from \(from ?? "?") but the case was in \(state ?? "?")")
                }
                state = event.data["to"]?.stringValue
            case "case.attributes-changed":
                for (key, change) in event.data["changes"]?.objectValue ?? [:] {
                    attributes[key] = change.objectValue?["new"] ?? .null
                }
            case "case.held": hold = event.data["reason"]?.stringValue
            case "case.resumed": hold = nil
            default: break
            }
        }
        func compare(_ key: String, _ chain: JSONValue?) {
            if snapshot[key] != chain {
                problem(.snapshot, "\(key) is \(Self.show(snapshot[key])) but the events lead to \(Self.show(chain))")
            }
        }
        compare("state", state.map(JSONValue.string))
        compare("title", opened.data["title"])
        compare("template", opened.data["template"])
        compare("template-version", opened.data["version"])
        compare("attributes", .object(attributes))
        // Not `flatMap { … nil … }`: JSONValue is nil-literal convertible, so
        // a bare `nil` there would become JSON null instead of "no hold".
        var snapshotHold: JSONValue?
        if let value = snapshot["hold"], !value.isNull { snapshotHold = value.objectValue?["reason"] ?? value }
        if snapshotHold != hold.map(JSONValue.string) {
            problem(.snapshot, "hold is \(Self.show(snapshotHold)) but the events lead to \(Self.show(hold.map(JSONValue.string)))")
        }
    }

    mutating func checkTemplate(_ template: [String: JSONValue], snapshot: [String: JSONValue]) {
        guard let lines = template["yaml"]?.arrayValue, let sha256 = template["sha256"]?.stringValue else {
            return problem(.format, "template.yaml must be an array of strings and template.sha256 a string")
        }
        var body: [UInt8] = []
        for (index, line) in lines.enumerated() {
            guard let text = line.stringValue else { return problem(.format, "template.yaml[\(index)] is not a string") }
            if index > 0 { body.append(0x0A) }
            body.append(contentsOf: text.utf8)
        }
        let computed = CaseExportVerifier.sha256Hex(body)
        if computed != sha256 {
            problem(.template, "the YAML hashes to \(computed), not to the recorded sha256 \(sha256)")
        }
        if template["name"] != snapshot["template"] || template["version"] != snapshot["template-version"] {
            problem(.template, "the template is \(Self.show(template["name"])) version \(Self.show(template["version"])), but the case runs on \(Self.show(snapshot["template"])) version \(Self.show(snapshot["template-version"]))")
        }
    }

    mutating func checkDocuments(_ listed: [JSONValue], events: [AuditEvent], available: Set<String>?) {
        let attached = ExportedDocument.current(from: events)
        let chainByKind = Dictionary(attached.map { ($0.kind, $0.json) }, uniquingKeysWith: { $1 })
        var seen: Set<String> = []
        for (index, item) in listed.enumerated() {
            guard let document = item.objectValue, let kind = document["kind"]?.stringValue,
                  let sha256 = document["sha256"]?.stringValue
            else {
                problem(.format, "documents[\(index)] needs a kind and a sha256")
                continue
            }
            report.documents.append(DocumentCheck(kind: kind, sha256: sha256, found: available.map { $0.contains(sha256) }))
            if available?.contains(sha256) == false {
                problem(.documents, "document \(kind) (sha256 \(sha256)) is missing: no given file has that sha256")
            }
            guard seen.insert(kind).inserted else {
                problem(.documents, "document \(kind) is listed twice")
                continue
            }
            guard let fromChain = chainByKind[kind] else {
                problem(.documents, "document \(kind) is listed but no document.attached event attached it")
                continue
            }
            if item != fromChain {
                problem(.documents, "document \(kind) is listed as \(Self.show(item)) but its latest document.attached (seq \(fromChain.objectValue?["seq"].map { Self.show($0) } ?? "?")) says \(Self.show(fromChain))")
            }
        }
        for document in attached where !seen.contains(document.kind) {
            problem(.documents, "document \(document.kind) was attached at seq \(document.seq) but is not listed")
        }
    }

    mutating func checkSignatures(_ listed: [JSONValue], events: [AuditEvent]) {
        report.signatures = listed.count
        let applied = ExportedSignature.all(from: events)
        var earlier: [Int64: Set<String>] = [:]
        var running: Set<String> = []
        for event in events {
            earlier[event.seq] = running
            running.insert(event.hash)
        }
        for signature in applied where earlier[signature.seq]?.contains(signature.record) != true {
            problem(.signatures, "the signature.applied at seq \(signature.seq) links to record \(signature.record), which is not the hash of an earlier event")
        }
        let bySeq = Dictionary(applied.map { ($0.seq, $0) }, uniquingKeysWith: { $1 })
        var seen: Set<Int64> = []
        for (index, item) in listed.enumerated() {
            guard let seq = item.objectValue?["seq"]?.intValue else {
                problem(.format, "signatures[\(index)] needs an integer seq")
                continue
            }
            seen.insert(seq)
            guard let event = bySeq[seq] else {
                problem(.signatures, "signatures[\(index)] names seq \(seq), which is not a signature.applied event")
                continue
            }
            if item != event.json {
                problem(.signatures, "signatures[\(index)] is \(Self.show(item)) but the signature.applied at seq \(seq) says \(Self.show(event.json))")
            }
        }
        for signature in applied where !seen.contains(signature.seq) {
            problem(.signatures, "the signature.applied at seq \(signature.seq) (\(signature.meaning) by \(signature.signer)) is not listed")
        }
    }

    static func show(_ value: JSONValue?) -> String {
        guard let value else { return "absent" }
        return String(decoding: value.canonicalJSON(), as: UTF8.self)
    }
}
