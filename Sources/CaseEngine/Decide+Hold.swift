import AuditLog
import Workflow

extension CaseEngine {
    /// `hold`: park the case. Needs a non-blank reason (`badArgument`). A case
    /// already on hold is refused by `guardChange` (`notAllowedNow`). While held,
    /// only `resume` and `note` are accepted. A hold does not pause regulatory
    /// clocks or deadlines: only the template's clock effects do.
    static func decideHold(
        reason: String, on current: Case, template: Template, by principal: Principal, at: Timestamp
    ) -> Result<[CaseEvent], CaseRejection> {
        if reason.isBlank { return .failure(reasonRequired("putting a case on hold")) }
        let role = firstTemplateRole(of: principal, in: template)!
        return .success([CaseEvent(at: at, actor: principal.name, role: role, kind: .held(reason: reason))])
    }

    /// `resume`: lift a hold. Needs a non-blank reason (`badArgument`); a case not
    /// on hold is refused (`notAllowedNow`).
    static func decideResume(
        reason: String, on current: Case, template: Template, by principal: Principal, at: Timestamp
    ) -> Result<[CaseEvent], CaseRejection> {
        if reason.isBlank { return .failure(reasonRequired("resuming a case")) }
        guard current.hold != nil else {
            return .failure(.init(.notAllowedNow, "case \(current.id) is not on hold"))
        }
        let role = firstTemplateRole(of: principal, in: template)!
        return .success([CaseEvent(at: at, actor: principal.name, role: role, kind: .resumed(reason: reason))])
    }
}
