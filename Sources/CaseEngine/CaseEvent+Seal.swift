import AuditLog
import Workflow

extension CaseEvent {
    /// The event sealed into a case chain: the same `AuditEvent` as
    /// `AuditEvent.seal(record, chain:seq:prev:)`, byte for byte, but faster —
    /// the canonical JSON of `data` is written straight from the event, its
    /// members in the order precomputed below, instead of sorting the keys of
    /// the `data` dictionary for every event.
    public func sealed(chain: String, seq: Int64, prev: String) -> AuditEvent {
        AuditEvent.seal(record, chain: chain, seq: seq, prev: prev, writingData: appendCanonicalData)
    }

    /// Appends the canonical JSON of `record.data`.
    ///
    /// Members are written in code-point order of their keys; every list below
    /// is in that order (e.g. `stage` < `state`, `to` < `transition`,
    /// `reason` < `record`). Objects with keys chosen by users (attributes,
    /// changes) go through the generic writer, which sorts them.
    func appendCanonicalData(to out: inout [UInt8]) {
        var object = ObjectWriter()
        switch kind {
        case .opened(let template, let version, let title, let state, let stage, let attributes, let clocks):
            object.key("attributes", &out)
            CanonicalJSON.appendObject(attributes.mapValues(JSONValue.string), to: &out)
            if !clocks.isEmpty { object.key("clocks", &out); Self.appendClocks(clocks, to: &out) }
            object.string("stage", stage, &out)
            object.string("state", state, &out)
            object.string("template", template, &out)
            object.string("title", title, &out)
            object.key("version", &out)
            CanonicalJSON.appendInteger(Int64(version), to: &out)
        case .advanced(let transition, let from, let to, let reason, let clocks):
            if !clocks.isEmpty { object.key("clocks", &out); Self.appendClocks(clocks, to: &out) }
            object.string("from", from, &out)
            object.optionalString("reason", reason, &out)
            object.string("to", to, &out)
            object.string("transition", transition, &out)
        case .documentAttached(let kind, let sha256, let uri, let title, let reason):
            object.string("kind", kind, &out)
            object.optionalString("reason", reason, &out)
            object.string("sha256", sha256, &out)
            object.optionalString("title", title, &out)
            object.optionalString("uri", uri, &out)
        case .signatureApplied(let transition, let meaning, let reason, let record):
            object.string("meaning", meaning.rawValue, &out)
            object.optionalString("reason", reason, &out)
            object.string("record", record, &out)
            object.string("transition", transition, &out)
        case .held(let reason), .resumed(let reason):
            object.string("reason", reason, &out)
        case .noted(let text):
            object.string("text", text, &out)
        case .attributesChanged, .overdue:
            // Rare events: the generic writer is fast enough.
            CanonicalJSON.appendObject(record.data, to: &out)
            return
        }
        out.append(UInt8(ascii: "}"))
    }

    /// `[{"action":…,"clock":…},…]`
    private static func appendClocks(_ clocks: [ClockEffect], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, effect) in clocks.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            var object = ObjectWriter()
            object.string("action", effect.action.rawValue, &out)
            object.string("clock", effect.clock, &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
    }
}

/// Writes the members of one JSON object whose keys are ASCII literals that
/// need no escaping; it opens the object with the first key. The caller writes
/// the keys in canonical order and closes the object.
private struct ObjectWriter {
    private var first = true

    mutating func key(_ name: StaticString, _ out: inout [UInt8]) {
        out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
        first = false
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: StaticString, _ value: String, _ out: inout [UInt8]) {
        key(name, &out)
        CanonicalJSON.appendString(value, to: &out)
    }

    mutating func optionalString(_ name: StaticString, _ value: String?, _ out: inout [UInt8]) {
        key(name, &out)
        if let value {
            CanonicalJSON.appendString(value, to: &out)
        } else {
            out.append(contentsOf: "null".utf8)
        }
    }
}
