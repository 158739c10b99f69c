import AuditLog
import CaseEngine
import Workflow

/// The stored form of a case projection (the `cases.body` column): a JSON
/// object. Its format is private to the store — the audit chain, not this,
/// is the record — but it is versioned (`format`) so it can evolve.
enum CaseCodec {
    static let format: Int64 = 1

    static func encode(_ c: Case) -> JSONValue {
        var object: [String: JSONValue] = [
            "format": .int(format),
            "id": .string(c.id),
            "template": .string(c.template),
            "template-version": .int(Int64(c.templateVersion)),
            "title": .string(c.title),
            "state": .string(c.state),
            "stage": .string(c.stage),
            "attributes": .object(c.attributes.mapValues(JSONValue.string)),
            "version": .int(c.version),
            "head": .string(c.head),
            "opened": .int(c.opened.microseconds),
            "entered": .int(c.entered.microseconds),
            "entered-seq": .int(c.enteredSeq),
            "updated": .int(c.updated.microseconds),
            "final": .bool(c.isFinal),
        ]
        if let hold = c.hold {
            object["hold"] = ["reason": .string(hold.reason), "since": .int(hold.since.microseconds), "by": .string(hold.by)]
        }
        object["documents"] = .object(c.documents.mapValues { d in
            [
                "kind": .string(d.kind), "sha256": .string(d.sha256), "uri": .optional(d.uri),
                "title": .optional(d.title), "at": .int(d.at.microseconds), "seq": .int(d.seq), "by": .string(d.by),
            ]
        })
        object["signatures"] = .array(c.signatures.map { s in
            [
                "transition": .string(s.transition), "role": .string(s.role), "meaning": .string(s.meaning.rawValue),
                "signer": .string(s.signer), "at": .int(s.at.microseconds), "seq": .int(s.seq),
                "record": .string(s.record), "reason": .optional(s.reason),
            ]
        })
        object["clocks"] = .object(c.clocks.mapValues { k in
            [
                "status": .string(k.status.rawValue), "accumulated": .int(k.accumulated),
                "running-since": k.runningSince.map { .int($0.microseconds) } ?? .null,
            ]
        })
        object["overdue-raised"] = .array(c.overdueRaised.sorted(by: subjectOrder).map { subject in
            switch subject {
            case .deadline(let state, let seq): return ["deadline": .string(state), "entered-seq": .int(seq)]
            case .clock(let name): return ["clock": .string(name)]
            }
        })
        return .object(object)
    }

    static func subjectOrder(_ a: OverdueSubject, _ b: OverdueSubject) -> Bool {
        func key(_ s: OverdueSubject) -> String {
            switch s {
            case .deadline(let state, let seq): return "d:\(state):\(seq)"
            case .clock(let name): return "c:\(name)"
            }
        }
        return key(a) < key(b)
    }

    static func decode(_ value: JSONValue) throws(StoreError) -> Case {
        let r = Reader(value)
        guard try r.int("format") == format else { throw StoreError(.corrupt, "unknown case body format") }
        var c = Case(
            id: try r.string("id"), template: try r.string("template"),
            templateVersion: Int(try r.int("template-version")), title: try r.string("title"),
            state: try r.string("state"), stage: try r.string("stage"),
            attributes: try Reader.strings(r.object("attributes")),
            version: try r.int("version"), head: try r.string("head"),
            opened: Timestamp(microseconds: try r.int("opened")), entered: Timestamp(microseconds: try r.int("entered")),
            enteredSeq: try r.int("entered-seq"), updated: Timestamp(microseconds: try r.int("updated")),
            isFinal: try r.bool("final"))
        if let hold = r.optional("hold") {
            let h = Reader(hold)
            c.hold = Hold(reason: try h.string("reason"), since: Timestamp(microseconds: try h.int("since")), by: try h.string("by"))
        }
        for (kind, value) in try r.object("documents") {
            let d = Reader(value)
            c.documents[kind] = AttachedDocument(
                kind: try d.string("kind"), sha256: try d.string("sha256"), uri: try d.optionalString("uri"),
                title: try d.optionalString("title"), at: Timestamp(microseconds: try d.int("at")),
                seq: try d.int("seq"), by: try d.string("by"))
        }
        for value in try r.array("signatures") {
            let s = Reader(value)
            guard let meaning = SignatureMeaning(rawValue: try s.string("meaning")) else {
                throw StoreError(.corrupt, "unknown signature meaning in stored case \(c.id)")
            }
            c.signatures.append(AppliedSignature(
                transition: try s.string("transition"), role: try s.string("role"), meaning: meaning,
                signer: try s.string("signer"), at: Timestamp(microseconds: try s.int("at")), seq: try s.int("seq"),
                record: try s.string("record"), reason: try s.optionalString("reason")))
        }
        for (name, value) in try r.object("clocks") {
            let k = Reader(value)
            guard let status = ClockState.Status(rawValue: try k.string("status")) else {
                throw StoreError(.corrupt, "unknown clock status in stored case \(c.id)")
            }
            c.clocks[name] = ClockState(
                name: name, status: status, accumulated: try k.int("accumulated"),
                runningSince: try k.optionalInt("running-since").map(Timestamp.init(microseconds:)))
        }
        for value in try r.array("overdue-raised") {
            let o = Reader(value)
            if let state = try o.optionalString("deadline") {
                c.overdueRaised.insert(.deadline(state: state, enteredSeq: try o.int("entered-seq")))
            } else {
                c.overdueRaised.insert(.clock(try o.string("clock")))
            }
        }
        return c
    }

    /// Typed access to a JSON object, with `.corrupt` errors naming the member.
    /// The members of a stored body that a `CaseSummary` needs, in the
    /// order of `SummaryMember`.
    static let summaryNames = JSONMemberNames([
        "format", "id", "template", "template-version", "title", "state", "stage", "attributes", "version",
        "opened", "entered", "hold", "final",
    ])

    private enum SummaryMember: Int {
        case format, id, template, templateVersion, title, state, stage, attributes, version, opened, entered, hold, final
    }

    /// A summary read straight from a stored body's text: the documents,
    /// signatures and clocks are skipped, not built (see `JSONValue.parseMembers`).
    static func decodeSummary(_ body: String) throws(StoreError) -> CaseSummary {
        let values: [JSONValue?]
        do { values = try JSONValue.parseMembers(summaryNames, of: body.utf8) } catch {
            throw StoreError(.corrupt, "stored JSON does not parse: \(error)")
        }
        func value(_ m: SummaryMember) throws(StoreError) -> JSONValue {
            guard let v = values[m.rawValue] else {
                throw StoreError(.corrupt, "stored case lacks \(summaryNames.names[m.rawValue])")
            }
            return v
        }
        func int(_ m: SummaryMember) throws(StoreError) -> Int64 {
            guard let i = try value(m).intValue else {
                throw StoreError(.corrupt, "stored case: \(summaryNames.names[m.rawValue]) is not an integer")
            }
            return i
        }
        func string(_ m: SummaryMember) throws(StoreError) -> String { try Reader.string(value(m)) }
        guard try int(.format) == format else { throw StoreError(.corrupt, "unknown case body format") }
        guard let attributes = try value(.attributes).objectValue, let isFinal = try value(.final).boolValue else {
            throw StoreError(.corrupt, "stored case: attributes or final of the wrong type")
        }
        var holdReason: String?
        if let hold = values[SummaryMember.hold.rawValue], !hold.isNull { holdReason = try Reader(hold).string("reason") }
        return CaseSummary(
            id: try string(.id), template: try string(.template), templateVersion: Int(try int(.templateVersion)),
            title: try string(.title), state: try string(.state), stage: try string(.stage),
            attributes: try Reader.strings(attributes), version: try int(.version),
            opened: Timestamp(microseconds: try int(.opened)), entered: Timestamp(microseconds: try int(.entered)),
            holdReason: holdReason, isFinal: isFinal)
    }

    private struct Reader {
        let members: [String: JSONValue]
        init(_ value: JSONValue) { members = value.objectValue ?? [:] }

        func optional(_ key: String) -> JSONValue? {
            guard let v = members[key], !v.isNull else { return nil }
            return v
        }
        func value(_ key: String) throws(StoreError) -> JSONValue {
            guard let v = members[key] else { throw StoreError(.corrupt, "stored case lacks \(key)") }
            return v
        }
        func string(_ key: String) throws(StoreError) -> String { try Self.string(value(key)) }
        func optionalString(_ key: String) throws(StoreError) -> String? {
            guard let v = optional(key) else { return nil }
            return try Self.string(v)
        }
        func int(_ key: String) throws(StoreError) -> Int64 {
            guard let i = try value(key).intValue else { throw StoreError(.corrupt, "stored case: \(key) is not an integer") }
            return i
        }
        func optionalInt(_ key: String) throws(StoreError) -> Int64? {
            guard let v = optional(key) else { return nil }
            guard let i = v.intValue else { throw StoreError(.corrupt, "stored case: \(key) is not an integer") }
            return i
        }
        func bool(_ key: String) throws(StoreError) -> Bool {
            guard let b = try value(key).boolValue else { throw StoreError(.corrupt, "stored case: \(key) is not a boolean") }
            return b
        }
        func object(_ key: String) throws(StoreError) -> [String: JSONValue] {
            guard let o = try value(key).objectValue else { throw StoreError(.corrupt, "stored case: \(key) is not an object") }
            return o
        }
        func array(_ key: String) throws(StoreError) -> [JSONValue] {
            guard let a = try value(key).arrayValue else { throw StoreError(.corrupt, "stored case: \(key) is not an array") }
            return a
        }
        static func strings(_ o: [String: JSONValue]) throws(StoreError) -> [String: String] {
            var out: [String: String] = [:]
            for (k, v) in o { out[k] = try string(v) }
            return out
        }
        static func string(_ v: JSONValue) throws(StoreError) -> String {
            guard let s = v.stringValue else { throw StoreError(.corrupt, "stored case: a string was expected") }
            return s
        }
    }
}

/// A case projection packed into the bytes of its stored JSON body: about half
/// the memory of the decoded `Case` (whose strings, dictionaries and arrays
/// each carry their own allocation). For caches that hold many cases.
public struct PackedCase: Sendable {
    public let id: String
    public let version: Int64
    /// The body's canonical JSON, shrunk by `CasePacking` when `isPacked`.
    let body: [UInt8]
    let isPacked: Bool
    let overdueAt: Timestamp?
    let alarmAt: Timestamp?

    public init(_ stored: StoredCase) {
        id = stored.case.id
        version = stored.case.version
        let encoded = CaseCodec.encode(stored.case).canonicalJSON()
        let packed = CasePacking.pack(encoded)
        isPacked = packed != nil
        // Copied to an array of exactly its size: the buffers grew by
        // doubling and may be nearly twice as large.
        let bytes = packed ?? encoded
        body = [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
            count = buffer.initialize(fromContentsOf: bytes)
        }
        overdueAt = stored.overdueAt
        alarmAt = stored.alarmAt
    }

    /// The projection again; fails only if the bytes were damaged in memory.
    public func unpacked() throws(StoreError) -> StoredCase {
        guard let json = isPacked ? CasePacking.unpack(body) : body else {
            throw StoreError(.corrupt, "a cached case does not unpack")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(json) } catch {
            throw StoreError(.corrupt, "a cached case does not parse: \(error)")
        }
        return StoredCase(case: try CaseCodec.decode(value), overdueAt: overdueAt, alarmAt: alarmAt)
    }

    /// Bytes held for the case (its body), for sizing caches.
    public var byteCount: Int { body.count + id.utf8.count }
}
