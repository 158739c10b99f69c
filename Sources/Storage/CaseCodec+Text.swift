import AuditLog
import CaseEngine

// The case body written straight into bytes, for the commit path.
//
// Why not `jsonText(encode(c))`: that builds a dictionary per object and sorts
// its keys, and it ran on every change (a tenth of the event loops' time per
// change at 32 connections). The text here is byte-for-byte the canonical JSON
// of `encode(c)` — CaseCodecTextTests hold the two to that — so stored bodies
// do not depend on which of them wrote it. `encode` stays the reference form.
//
// Members are written in code-point order of their keys: fixed keys in the
// order spelled out below, dictionary keys sorted as `CanonicalJSON` sorts.
extension CaseCodec {
    /// The `cases.body` text of `c`.
    static func bodyText(_ c: Case) -> String {
        var w = ObjectWriter()
        w.open()
        w.key("attributes")
        w.open()
        for key in sortedKeys(c.attributes) {
            w.key(key)
            w.string(c.attributes[key]!)
        }
        w.close()
        w.key("clocks")
        w.open()
        for name in sortedKeys(c.clocks) {
            let k = c.clocks[name]!
            w.key(name)
            w.open()
            w.key("accumulated"); w.int(k.accumulated)
            w.key("running-since"); w.int(k.runningSince?.microseconds)
            w.key("status"); w.string(k.status.rawValue)
            w.close()
        }
        w.close()
        w.key("documents")
        w.open()
        for name in sortedKeys(c.documents) {
            let d = c.documents[name]!
            w.key(name)
            w.open()
            w.key("at"); w.int(d.at.microseconds)
            w.key("by"); w.string(d.by)
            w.key("kind"); w.string(d.kind)
            w.key("seq"); w.int(d.seq)
            w.key("sha256"); w.string(d.sha256)
            w.key("title"); w.string(d.title)
            w.key("uri"); w.string(d.uri)
            w.close()
        }
        w.close()
        w.key("entered"); w.int(c.entered.microseconds)
        w.key("entered-seq"); w.int(c.enteredSeq)
        w.key("final"); w.bool(c.isFinal)
        w.key("format"); w.int(format)
        w.key("head"); w.string(c.head)
        if let hold = c.hold {
            w.key("hold")
            w.open()
            w.key("by"); w.string(hold.by)
            w.key("reason"); w.string(hold.reason)
            w.key("since"); w.int(hold.since.microseconds)
            w.close()
        }
        w.key("id"); w.string(c.id)
        w.key("opened"); w.int(c.opened.microseconds)
        w.key("overdue-raised")
        w.openArray()
        for subject in c.overdueRaised.sorted(by: subjectOrder) {
            w.element()
            w.open()
            switch subject {
            case .deadline(let state, let seq):
                w.key("deadline"); w.string(state)
                w.key("entered-seq"); w.int(seq)
            case .clock(let name):
                w.key("clock"); w.string(name)
            }
            w.close()
        }
        w.closeArray()
        w.key("signatures")
        w.openArray()
        for s in c.signatures {
            w.element()
            w.open()
            w.key("at"); w.int(s.at.microseconds)
            w.key("meaning"); w.string(s.meaning.rawValue)
            w.key("reason"); w.string(s.reason)
            w.key("record"); w.string(s.record)
            w.key("role"); w.string(s.role)
            w.key("seq"); w.int(s.seq)
            w.key("signer"); w.string(s.signer)
            w.key("transition"); w.string(s.transition)
            w.close()
        }
        w.closeArray()
        w.key("stage"); w.string(c.stage)
        w.key("state"); w.string(c.state)
        w.key("template"); w.string(c.template)
        w.key("template-version"); w.int(Int64(c.templateVersion))
        w.key("title"); w.string(c.title)
        w.key("updated"); w.int(c.updated.microseconds)
        w.key("version"); w.int(c.version)
        w.close()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    private static func sortedKeys<V>(_ dictionary: [String: V]) -> [String] {
        dictionary.keys.sorted(by: CanonicalJSON.codePointPrecedes)
    }
}

/// Canonical JSON written member by member. It tracks only whether a comma is
/// due; the caller is responsible for key order.
private struct ObjectWriter {
    var bytes: [UInt8] = []
    /// Whether the innermost open object or array has a member yet.
    private var started: [Bool] = []

    init() { bytes.reserveCapacity(1024) }

    mutating func open() { bytes.append(UInt8(ascii: "{")); started.append(false) }
    mutating func close() { bytes.append(UInt8(ascii: "}")); started.removeLast() }
    mutating func openArray() { bytes.append(UInt8(ascii: "[")); started.append(false) }
    mutating func closeArray() { bytes.append(UInt8(ascii: "]")); started.removeLast() }

    mutating func key(_ name: String) {
        comma()
        CanonicalJSON.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Before an array element.
    mutating func element() { comma() }

    mutating func string(_ value: String?) {
        if let value { CanonicalJSON.appendString(value, to: &bytes) } else { null() }
    }

    mutating func int(_ value: Int64?) {
        if let value { CanonicalJSON.appendInteger(value, to: &bytes) } else { null() }
    }

    mutating func bool(_ value: Bool) { bytes.append(contentsOf: (value ? "true" : "false").utf8) }

    private mutating func null() { bytes.append(contentsOf: "null".utf8) }

    private mutating func comma() {
        if started[started.count - 1] { bytes.append(UInt8(ascii: ",")) } else { started[started.count - 1] = true }
    }
}
