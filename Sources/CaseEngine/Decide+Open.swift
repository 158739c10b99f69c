import AuditLog
import Workflow

extension CaseEngine {
    /// `open`: the principal must hold one of `template.openRoles` (`forbidden`);
    /// the event's role is the first such role in `openRoles` order. The title must
    /// not be blank. Attributes: every name declared (`badArgument`), every value
    /// non-blank and within the attribute's `values` if it has any (`badArgument`
    /// listing them), every `required` attribute present.
    ///
    /// Opening enters the initial state, so the initial state's clock effects apply
    /// and are recorded in the event.
    static func decideOpen(
        _ open: OpenCase, template: Template, by principal: Principal, at: Timestamp
    ) -> Result<[CaseEvent], CaseRejection> {
        guard let role = firstRole(of: principal, among: template.openRoles) else {
            return .failure(.init(
                .forbidden, "opening a \(template.name) case needs one of the roles: \(listed(template.openRoles))"))
        }
        if open.title.isBlank {
            return .failure(.init(.badArgument, "a case needs a title (title=\"…\")"))
        }
        // Sorted so the first error named is the same on every run.
        for name in open.attributes.keys.sorted() {
            let value = open.attributes[name]!
            if let refusal = checkAttributeValue(name: name, value: value, blankAllowed: false, template: template) {
                return .failure(refusal)
            }
        }
        for spec in template.attributes where spec.required && open.attributes[spec.name] == nil {
            return .failure(.init(.badArgument, "attribute \(spec.name) is required (attr.\(spec.name)=…)"))
        }
        guard let initial = template.state(template.initial) else {
            preconditionFailure("validated template \(template.name) lacks its initial state \(template.initial)")
        }
        return .success([CaseEvent(
            at: at, actor: principal.name, role: role,
            kind: .opened(
                template: template.name, templateVersion: open.templateVersion, title: open.title,
                state: initial.name, stage: initial.stage, attributes: open.attributes, clocks: initial.clockEffects))])
    }

    /// Checks one attribute value against the template: declared, within its
    /// `values`, and non-blank unless `blankAllowed` (CASE SET clearing an optional
    /// free-text attribute).
    static func checkAttributeValue(
        name: String, value: String, blankAllowed: Bool, template: Template
    ) -> CaseRejection? {
        guard let spec = template.attribute(name) else {
            return .init(
                .badArgument,
                "unknown attribute \(name); template \(template.name) declares: \(listed(template.attributes.map(\.name)))")
        }
        if value.isBlank {
            if spec.required {
                return .init(.badArgument, "attribute \(name) is required and cannot be blank")
            }
            if !blankAllowed {
                return .init(.badArgument, "attribute \(name) is blank; leave it out instead")
            }
            return nil
        }
        if let allowed = spec.values, !allowed.contains(value) {
            return .init(.badArgument, "attribute \(name) cannot be \(value); allowed values: \(listed(allowed))")
        }
        return nil
    }
}
