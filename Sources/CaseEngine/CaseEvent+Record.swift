import AuditLog
import Workflow

/// The audit `action` names of case events (AUDIT-FORMAT.md).
public enum CaseAction {
    public static let opened = "case.opened"
    public static let advanced = "case.advanced"
    public static let documentAttached = "document.attached"
    public static let signatureApplied = "signature.applied"
    public static let held = "case.held"
    public static let resumed = "case.resumed"
    public static let noted = "case.noted"
    public static let attributesChanged = "case.attributes-changed"
    public static let overdue = "case.overdue"
}

/// Why an audit record could not be read back as a case event.
public struct CaseEventDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var action: String
    public var message: String
    public init(action: String, message: String) { self.action = action; self.message = message }
    public var description: String { "cannot read \(action) event: \(message)" }
}

extension CaseEvent {
    /// The event as an audit record: `action` and `data` exactly as AUDIT-FORMAT.md,
    /// with optional text (reason, uri, title, old value) written as `null` when
    /// absent and `clocks` written only when the entry applied clock effects.
    public var record: AuditRecord {
        let action: String
        var data: [String: JSONValue]
        switch kind {
        case .opened(let template, let version, let title, let state, let stage, let attributes, let clocks):
            action = CaseAction.opened
            data = [
                "template": .string(template), "version": .int(Int64(version)), "title": .string(title),
                "state": .string(state), "stage": .string(stage), "attributes": .object(attributes.mapValues(JSONValue.string)),
            ]
            if !clocks.isEmpty { data["clocks"] = Self.encode(clocks) }
        case .advanced(let transition, let from, let to, let reason, let clocks):
            action = CaseAction.advanced
            data = [
                "transition": .string(transition), "from": .string(from), "to": .string(to), "reason": .optional(reason),
            ]
            if !clocks.isEmpty { data["clocks"] = Self.encode(clocks) }
        case .documentAttached(let kind, let sha256, let uri, let title, let reason):
            action = CaseAction.documentAttached
            data = [
                "kind": .string(kind), "sha256": .string(sha256), "uri": .optional(uri), "title": .optional(title),
                "reason": .optional(reason),
            ]
        case .signatureApplied(let transition, let meaning, let reason, let record):
            action = CaseAction.signatureApplied
            data = [
                "transition": .string(transition), "meaning": .string(meaning.rawValue), "reason": .optional(reason),
                "record": .string(record),
            ]
        case .held(let reason):
            action = CaseAction.held
            data = ["reason": .string(reason)]
        case .resumed(let reason):
            action = CaseAction.resumed
            data = ["reason": .string(reason)]
        case .noted(let text):
            action = CaseAction.noted
            data = ["text": .string(text)]
        case .attributesChanged(let changes, let reason):
            action = CaseAction.attributesChanged
            data = [
                "changes": .object(changes.mapValues { .object(["old": .optional($0.old), "new": .string($0.new)]) }),
                "reason": .string(reason),
            ]
        case .overdue(let overdue):
            action = CaseAction.overdue
            data = [
                "subject": .string(overdue.subject.rawValue), "name": .string(overdue.name),
                "limit-seconds": .int(overdue.limitSeconds), "elapsed-seconds": .int(overdue.elapsedSeconds),
            ]
        }
        return AuditRecord(at: at, actor: actor, role: role, action: action, data: data)
    }

    private static func encode(_ clocks: [ClockEffect]) -> JSONValue {
        .array(clocks.map { .object(["action": .string($0.action.rawValue), "clock": .string($0.clock)]) })
    }

    /// Reads an audit record back as a case event: the exact inverse of `record`.
    ///
    /// Strict, so a rebuilt case is exactly the recorded one: unknown actions,
    /// missing or extra members, wrong types, unknown meanings, clock actions or
    /// overdue subjects, and an empty `clocks` or `changes` are all errors.
    public init(record: AuditRecord) throws(CaseEventDecodingError) {
        var data = DataReader(action: record.action, data: record.data)
        let kind: Kind
        switch record.action {
        case CaseAction.opened:
            let version = try data.int("version")
            guard let templateVersion = Int(exactly: version), templateVersion >= 1 else {
                throw data.error("version \(version) is not a template version")
            }
            kind = .opened(
                template: try data.string("template"), templateVersion: templateVersion,
                title: try data.string("title"), state: try data.string("state"), stage: try data.string("stage"),
                attributes: try data.stringObject("attributes"), clocks: try data.clocks())
        case CaseAction.advanced:
            kind = .advanced(
                transition: try data.string("transition"), from: try data.string("from"), to: try data.string("to"),
                reason: try data.optionalString("reason"), clocks: try data.clocks())
        case CaseAction.documentAttached:
            kind = .documentAttached(
                kind: try data.string("kind"), sha256: try data.string("sha256"), uri: try data.optionalString("uri"),
                title: try data.optionalString("title"), reason: try data.optionalString("reason"))
        case CaseAction.signatureApplied:
            let meaningText = try data.string("meaning")
            guard let meaning = SignatureMeaning(rawValue: meaningText) else {
                throw data.error("unknown signature meaning \(meaningText)")
            }
            kind = .signatureApplied(
                transition: try data.string("transition"), meaning: meaning,
                reason: try data.optionalString("reason"), record: try data.string("record"))
        case CaseAction.held:
            kind = .held(reason: try data.string("reason"))
        case CaseAction.resumed:
            kind = .resumed(reason: try data.string("reason"))
        case CaseAction.noted:
            kind = .noted(text: try data.string("text"))
        case CaseAction.attributesChanged:
            kind = .attributesChanged(changes: try data.changes(), reason: try data.string("reason"))
        case CaseAction.overdue:
            let subjectText = try data.string("subject")
            guard let subject = Overdue.Subject(rawValue: subjectText) else {
                throw data.error("unknown overdue subject \(subjectText)")
            }
            kind = .overdue(Overdue(
                subject: subject, name: try data.string("name"), limitSeconds: try data.int("limit-seconds"),
                elapsedSeconds: try data.int("elapsed-seconds")))
        default:
            throw CaseEventDecodingError(action: record.action, message: "not a case event action")
        }
        try data.finish()
        self.init(at: record.at, actor: record.actor, role: record.role, kind: kind)
    }
}

/// Reads members of an event's `data`, remembering which were read so that
/// `finish` can reject members nobody expected.
private struct DataReader {
    let action: String
    let data: [String: JSONValue]
    var read: [String] = []

    init(action: String, data: [String: JSONValue]) { self.action = action; self.data = data }

    func error(_ message: String) -> CaseEventDecodingError { .init(action: action, message: message) }

    private mutating func value(_ key: String) throws(CaseEventDecodingError) -> JSONValue {
        guard let value = data[key] else { throw error("missing member \(key)") }
        read.append(key)
        return value
    }

    mutating func string(_ key: String) throws(CaseEventDecodingError) -> String {
        guard let s = try value(key).stringValue else { throw error("member \(key) must be a string") }
        return s
    }

    mutating func optionalString(_ key: String) throws(CaseEventDecodingError) -> String? {
        let v = try value(key)
        if v.isNull { return nil }
        guard let s = v.stringValue else { throw error("member \(key) must be a string or null") }
        return s
    }

    mutating func int(_ key: String) throws(CaseEventDecodingError) -> Int64 {
        guard let i = try value(key).intValue else { throw error("member \(key) must be an integer") }
        return i
    }

    mutating func stringObject(_ key: String) throws(CaseEventDecodingError) -> [String: String] {
        guard let object = try value(key).objectValue else { throw error("member \(key) must be an object") }
        var result: [String: String] = [:]
        result.reserveCapacity(object.count)
        for (name, v) in object {
            guard let s = v.stringValue else { throw error("\(key).\(name) must be a string") }
            result[name] = s
        }
        return result
    }

    /// The optional `clocks` member: absent means none; present means a non-empty list.
    mutating func clocks() throws(CaseEventDecodingError) -> [ClockEffect] {
        guard data["clocks"] != nil else { return [] }
        guard let list = try value("clocks").arrayValue, !list.isEmpty else {
            throw error("member clocks must be a non-empty array")
        }
        var effects: [ClockEffect] = []
        effects.reserveCapacity(list.count)
        for item in list {
            guard let object = item.objectValue, object.count == 2,
                let actionText = object["action"]?.stringValue, let clock = object["clock"]?.stringValue
            else { throw error("each clock effect must be {action, clock}") }
            guard let action = ClockEffect.Action(rawValue: actionText) else {
                throw error("unknown clock action \(actionText)")
            }
            effects.append(ClockEffect(action, clock))
        }
        return effects
    }

    mutating func changes() throws(CaseEventDecodingError) -> [String: AttributeChange] {
        guard let object = try value("changes").objectValue, !object.isEmpty else {
            throw error("member changes must be a non-empty object")
        }
        var changes: [String: AttributeChange] = [:]
        changes.reserveCapacity(object.count)
        for (name, v) in object {
            guard let change = v.objectValue, change.count == 2, let new = change["new"]?.stringValue,
                let old = change["old"], old.isNull || old.stringValue != nil
            else { throw error("changes.\(name) must be {old: string or null, new: string}") }
            changes[name] = AttributeChange(old: old.stringValue, new: new)
        }
        return changes
    }

    func finish() throws(CaseEventDecodingError) {
        guard read.count == data.count else {
            let unexpected = data.keys.filter { !read.contains($0) }.sorted()
            throw error("unexpected members: \(unexpected.joined(separator: ", "))")
        }
    }
}
