import AuditLog
import Workflow

extension CaseEngine {
    /// `attach`: record evidence. The kind must be declared (`badArgument` listing
    /// the kinds); `sha256` must be 64 hex digits and is stored in lowercase
    /// (`badArgument`). `uri`, `title` and `reason` are optional; blank means absent.
    /// The event's role is the principal's first template role.
    static func decideAttach(
        _ attachment: Attachment, on current: Case, template: Template, by principal: Principal, at: Timestamp
    ) -> Result<[CaseEvent], CaseRejection> {
        guard template.document(attachment.kind) != nil else {
            return .failure(.init(
                .badArgument,
                "unknown document kind \(attachment.kind); template \(template.name) declares: \(listed(template.documents.map(\.name)))"
            ))
        }
        guard let sha256 = normalisedSHA256(attachment.sha256) else {
            return .failure(.init(.badArgument, "sha256 must be 64 hexadecimal digits"))
        }
        let role = firstTemplateRole(of: principal, in: template)!
        return .success([CaseEvent(
            at: at, actor: principal.name, role: role,
            kind: .documentAttached(
                kind: attachment.kind, sha256: sha256, uri: attachment.uri.nonBlank,
                title: attachment.title.nonBlank, reason: attachment.reason.nonBlank))])
    }

    /// The lowercase form of a 64-hex-digit digest; nil for anything else.
    static func normalisedSHA256(_ text: String) -> String? {
        // Digests nearly always arrive in lowercase already: keep the string as is.
        if text.utf8.count == 64, text.utf8.allSatisfy({ byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
        }) {
            return text
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): bytes.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): bytes.append(byte + 32)
            default: return nil
            }
            if bytes.count > 64 { return nil }
        }
        guard bytes.count == 64 else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
