// Reading one exported trail line back into an `AuditEvent`, strictly: exactly
// the nine members of AUDIT-FORMAT.md, each of the right type and form.

/// Why a line is not an audit event: what is wrong, and where — a byte offset
/// for JSON syntax errors, a member name for content errors.
public struct AuditParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 0-based byte offset within the line, when the problem is JSON syntax.
    public var offset: Int?
    /// The event member at fault, when the JSON is fine but its content is not.
    public var member: String?
    public var message: String

    public init(offset: Int? = nil, member: String? = nil, message: String) {
        self.offset = offset; self.member = member; self.message = message
    }

    public var description: String {
        if let member { return "member \"\(member)\": \(message)" }
        if let offset { return "at byte \(offset): \(message)" }
        return message
    }
}

extension AuditEvent {
    /// The members every event has, in canonical order.
    public static let memberNames = ["action", "actor", "at", "chain", "data", "hash", "prev", "role", "seq"]

    /// Parses one event from a JSON line (without its line terminator).
    ///
    /// Accepts any valid JSON spelling of an event (whitespace, member order);
    /// checking that the line is the canonical spelling is the trail
    /// verifier's job. Rejects: invalid JSON or UTF-8, lone surrogates,
    /// duplicate, missing or extra members, wrong types, fractional or
    /// exponent numbers, integers outside Int64, `seq` < 1, an `at` not of the
    /// form `YYYY-MM-DDTHH:MM:SS.ffffffZ`, and `prev`/`hash` that are not 64
    /// lowercase hex digits. Does not check the hash; see `hasValidHash`.
    public init(jsonLine: some Collection<UInt8>) throws(AuditParseError) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(jsonLine)
        } catch {
            throw AuditParseError(offset: error.offset, message: error.message)
        }
        try self.init(jsonObject: value)
    }

    /// Builds an event from a parsed JSON object, with the same checks as `init(jsonLine:)`.
    public init(jsonObject value: JSONValue) throws(AuditParseError) {
        guard case .object(let members) = value else {
            throw AuditParseError(message: "an event must be a JSON object")
        }
        // Extra members first: a renamed member is then reported by its new name.
        if members.count != Self.memberNames.count || Self.memberNames.contains(where: { members[$0] == nil }) {
            let unexpected = members.keys.filter { !Self.memberNames.contains($0) }
                .sorted { CanonicalJSON.codePointPrecedes($0, $1) }
            if let first = unexpected.first {
                throw AuditParseError(
                    member: first,
                    message: "unexpected member; an event has exactly \(Self.memberNames.joined(separator: ", "))")
            }
            if let missing = Self.memberNames.first(where: { members[$0] == nil }) {
                throw AuditParseError(member: missing, message: "missing")
            }
        }

        func string(_ name: String) throws(AuditParseError) -> String {
            guard case .string(let s) = members[name]! else {
                throw AuditParseError(member: name, message: "must be a string")
            }
            return s
        }
        func sha256Hex(_ name: String) throws(AuditParseError) -> String {
            let s = try string(name)
            guard isLowercaseSHA256Hex(s) else {
                throw AuditParseError(member: name, message: "must be 64 lowercase hex digits")
            }
            return s
        }

        guard case .int(let seq) = members["seq"]! else {
            throw AuditParseError(member: "seq", message: "must be an integer")
        }
        guard seq >= 1 else { throw AuditParseError(member: "seq", message: "must be at least 1, got \(seq)") }
        guard case .object(let data) = members["data"]! else {
            throw AuditParseError(member: "data", message: "must be an object")
        }
        let atText = try string("at")
        let at: Timestamp
        do {
            at = try Timestamp(rfc3339: atText)
        } catch {
            throw AuditParseError(member: "at", message: "\(error.message) (byte \(error.offset) of the timestamp)")
        }

        self.init(
            chain: try string("chain"), seq: seq, at: at, actor: try string("actor"), role: try string("role"),
            action: try string("action"), data: data, prev: try sha256Hex("prev"), hash: try sha256Hex("hash"))
    }
}
