import ControlProtocol

/// A chain (or a slice of it) as `AUDIT TRAIL` sends it.
public struct AuditTrail: Sendable, Hashable {
    public var chain: String
    /// The events exactly as sent: one canonical JSON object per line (JSON Lines),
    /// which `atmpctl audit verify FILE` accepts as it is.
    public var jsonLines: String
    public var events: Int
    /// The chain's head hash as the server reports it, to verify against (`--head`).
    public var head: String
    /// The reply as received.
    public var reply: Reply
}

/// `AUDIT VERIFY` when every chain is intact: `250 OK chains=N events=M`.
public struct AuditVerification: Sendable, Hashable {
    public var chains: Int
    public var events: Int
    /// The reply as received.
    public var reply: Reply
}

extension ControlConnection {
    public func auditTrail(_ chain: String, from: Int? = nil, limit: Int? = nil) throws(ClientError) -> AuditTrail {
        var keyed: [Field] = []
        keyed.append(optional: "from", from.map { String($0) })
        keyed.append(optional: "limit", limit.map { String($0) })
        let reply = try perform(Request(verb: ["AUDIT", "TRAIL"], positional: [chain], keyed: keyed))
        guard let block = reply.records.first(where: { $0.type == "audit" && $0.data != nil }) else {
            throw .malformedReply("AUDIT TRAIL answered without an audit data block")
        }
        let text = block.data ?? ""
        return AuditTrail(
            chain: block["chain"] ?? chain, jsonLines: text,
            events: reply.status?["events"].flatMap { Int($0) } ?? text.split(separator: "\n").count,
            head: reply.status?["head"] ?? "", reply: reply)
    }

    /// `AUDIT VERIFY [CHAIN]`; a broken chain is `.refused` 557 with one
    /// `broken chain=… seq=… reason=…` record per chain.
    public func verifyAudit(_ chain: String? = nil) throws(ClientError) -> AuditVerification {
        let reply = try perform(Request(verb: ["AUDIT", "VERIFY"], positional: chain.map { [$0] } ?? []))
        return AuditVerification(chains: reply.status?["chains"].flatMap { Int($0) } ?? 0,
                                 events: reply.status?["events"].flatMap { Int($0) } ?? 0, reply: reply)
    }
}

/// A case export as `AUDIT EXPORT CASE` sends it.
public struct CaseExportFile: Sendable, Hashable {
    public var caseID: String
    /// The export document exactly as sent, for `atmpctl audit verify FILE`.
    public var text: String
    public var events: Int
    public var head: String
    /// The reply as received.
    public var reply: Reply
}

extension ControlConnection {
    /// `AUDIT EXPORT CASE ID`: `250+export case= format= version= events= head=`, the file as its data block.
    public func auditExport(case id: String) throws(ClientError) -> CaseExportFile {
        let reply = try perform(Request(verb: ["AUDIT", "EXPORT"], positional: ["CASE", id]))
        guard let block = reply.records.first(where: { $0.type == "export" && $0.data != nil }) else {
            throw .malformedReply("AUDIT EXPORT answered without an export data block")
        }
        return CaseExportFile(
            caseID: block["case"] ?? id, text: block.data ?? "", events: block["events"].flatMap { Int($0) } ?? 0,
            head: block["head"] ?? "", reply: reply)
    }
}
