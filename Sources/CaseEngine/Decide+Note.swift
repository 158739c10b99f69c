import AuditLog
import Workflow

extension CaseEngine {
    /// `note`: free text in the trail. Allowed on final and held cases; the text
    /// must not be blank (`badArgument`).
    static func decideNote(
        text: String, on current: Case, template: Template, by principal: Principal, at: Timestamp
    ) -> Result<[CaseEvent], CaseRejection> {
        if text.isBlank { return .failure(.init(.badArgument, "a note needs text (text=\"…\")")) }
        let role = firstTemplateRole(of: principal, in: template)!
        return .success([CaseEvent(at: at, actor: principal.name, role: role, kind: .noted(text: text))])
    }
}
