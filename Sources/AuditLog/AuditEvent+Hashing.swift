import Crypto

// The hash of an event (AUDIT-FORMAT.md, "The hash"): lowercase hex SHA-256 of
// the canonical JSON of the event object without its `hash` member.

extension AuditEvent {
    /// Places `record` in a chain at `seq` after the event whose hash is `prev`,
    /// and computes its `hash`. The caller owns the chain's numbering; see
    /// `AuditChain` for a helper that keeps it.
    public static func seal(_ record: AuditRecord, chain: String, seq: Int64, prev: String) -> AuditEvent {
        var event = AuditEvent(
            chain: chain, seq: seq, at: record.at, actor: record.actor, role: record.role,
            action: record.action, data: record.data, prev: prev, hash: "")
        event.hash = event.computedHash()
        return event
    }

    /// `seal(_:chain:seq:prev:)` for callers that know the shape of `record.data`
    /// and write its canonical JSON themselves, in precomputed key order, instead
    /// of having the dictionary's keys sorted for every event (CaseEngine does,
    /// for case events). The result is the same event, byte for byte.
    ///
    /// - Precondition: `writeData` appends exactly the canonical JSON of
    ///   `record.data`. Debug builds check it.
    public static func seal(
        _ record: AuditRecord, chain: String, seq: Int64, prev: String,
        writingData writeData: (inout [UInt8]) -> Void
    ) -> AuditEvent {
        var event = AuditEvent(
            chain: chain, seq: seq, at: record.at, actor: record.actor, role: record.role,
            action: record.action, data: record.data, prev: prev, hash: "")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        event.appendCanonicalJSON(includingHash: false, data: writeData, to: &bytes)
        assert(bytes == event.canonicalJSON(includingHash: false),
               "the data writer for \(record.action) disagrees with the canonical JSON of its data")
        event.hash = lowercaseHex(SHA256.hash(data: bytes))
        return event
    }

    /// What the event says, without its place in a chain.
    public var record: AuditRecord {
        AuditRecord(at: at, actor: actor, role: role, action: action, data: data)
    }

    /// The hash this event must carry: SHA-256 over its canonical JSON without `hash`.
    public func computedHash() -> String {
        let bytes = canonicalJSON(includingHash: false)
        return lowercaseHex(SHA256.hash(data: bytes))
    }

    /// Whether `hash` matches the event's content.
    public var hasValidHash: Bool { computedHash() == hash }

    /// The canonical JSON bytes of the event: without `hash` they are what is
    /// hashed; with `hash` they are one line of an exported trail.
    public func canonicalJSON(includingHash: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        appendCanonicalJSON(includingHash: includingHash, to: &out)
        return out
    }

    /// Appends the canonical JSON of the event to `out`.
    ///
    /// The nine members have fixed ASCII names, so their code-point order is
    /// fixed too: action, actor, at, chain, data, hash, prev, role, seq. Writing
    /// them in that order avoids building and sorting a dictionary per event.
    public func appendCanonicalJSON(includingHash: Bool, to out: inout [UInt8]) {
        appendCanonicalJSON(includingHash: includingHash, data: { CanonicalJSON.appendObject(data, to: &$0) }, to: &out)
    }

    private func appendCanonicalJSON(
        includingHash: Bool, data writeData: (inout [UInt8]) -> Void, to out: inout [UInt8]
    ) {
        Self.appendCanonicalJSON(
            action: action, actor: actor,
            at: { out in
                out.append(UInt8(ascii: "\""))
                at.appendRFC3339(to: &out)
                out.append(UInt8(ascii: "\""))
            },
            chain: chain, data: writeData, hash: includingHash ? hash : nil, prev: prev, role: role, seq: seq,
            to: &out)
    }

    /// The canonical JSON of an event from its members; `at` and `data` are
    /// written by the caller, as whole JSON values.
    static func appendCanonicalJSON(
        action: String, actor: String, at writeAt: (inout [UInt8]) -> Void, chain: String,
        data writeData: (inout [UInt8]) -> Void, hash: String?, prev: String, role: String, seq: Int64,
        to out: inout [UInt8]
    ) {
        out.append(contentsOf: Keys.action)
        CanonicalJSON.appendString(action, to: &out)
        out.append(contentsOf: Keys.actor)
        CanonicalJSON.appendString(actor, to: &out)
        out.append(contentsOf: Keys.at)
        writeAt(&out)
        out.append(contentsOf: Keys.chain)
        CanonicalJSON.appendString(chain, to: &out)
        out.append(contentsOf: Keys.data)
        writeData(&out)
        if let hash {
            out.append(contentsOf: Keys.hash)
            CanonicalJSON.appendString(hash, to: &out)
        }
        out.append(contentsOf: Keys.prev)
        CanonicalJSON.appendString(prev, to: &out)
        out.append(contentsOf: Keys.role)
        CanonicalJSON.appendString(role, to: &out)
        out.append(contentsOf: Keys.seq)
        CanonicalJSON.appendInteger(seq, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// The event as a JSON object (for tools that want a generic value); its
    /// canonical JSON equals `canonicalJSON(includingHash:)`.
    public func jsonObject(includingHash: Bool) -> JSONValue {
        var members: [String: JSONValue] = [
            "chain": .string(chain), "seq": .int(seq), "at": .string(at.rfc3339),
            "actor": .string(actor), "role": .string(role), "action": .string(action),
            "data": .object(data), "prev": .string(prev),
        ]
        if includingHash { members["hash"] = .string(hash) }
        return .object(members)
    }

    /// Member prefixes in canonical order, each with the punctuation before its value.
    fileprivate enum Keys {
        static let action: [UInt8] = Array(#"{"action":"#.utf8)
        static let actor: [UInt8] = Array(#","actor":"#.utf8)
        static let at: [UInt8] = Array(#","at":"#.utf8)
        static let chain: [UInt8] = Array(#","chain":"#.utf8)
        static let data: [UInt8] = Array(#","data":"#.utf8)
        static let hash: [UInt8] = Array(#","hash":"#.utf8)
        static let prev: [UInt8] = Array(#","prev":"#.utf8)
        static let role: [UInt8] = Array(#","role":"#.utf8)
        static let seq: [UInt8] = Array(#","seq":"#.utf8)
    }
}

/// Lowercase hex of a digest (64 characters for SHA-256).
func lowercaseHex(_ digest: SHA256.Digest) -> String {
    String(unsafeUninitializedCapacity: SHA256.byteCount * 2) { buffer in
        digest.withUnsafeBytes { bytes in
            lowercaseHexDigits.withUnsafeBufferPointer { digits in
                for (i, byte) in bytes.enumerated() {
                    buffer[2 &* i] = digits[Int(byte &>> 4)]
                    buffer[2 &* i &+ 1] = digits[Int(byte & 0x0F)]
                }
            }
        }
        return SHA256.byteCount * 2
    }
}

/// Whether `text` is exactly 64 lowercase hex digits, the form of every `hash` and `prev`.
func isLowercaseSHA256Hex(_ text: String) -> Bool {
    var count = 0
    for byte in text.utf8 {
        guard (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
        else { return false }
        count += 1
    }
    return count == 64
}
