import AuditLog
import Workflow

extension CaseEngine {
    /// `setAttributes` (CASE SET): change case attributes, recording old and new
    /// values and the reason. Refused with `badArgument` when: the reason is
    /// missing or blank; no attribute is given; a name is not declared; a value is
    /// outside the attribute's `values`; a required attribute is set blank; a value
    /// equals the current one ("no change").
    ///
    /// A blank value for an optional attribute clears it (recorded as new `""`).
    /// Attributes are checked in name order, so the first error is stable.
    static func decideSetAttributes(
        _ values: [String: String], reason: String?, on current: Case, template: Template,
        by principal: Principal, at: Timestamp
    ) -> Result<[CaseEvent], CaseRejection> {
        guard let reason = reason.nonBlank else { return .failure(reasonRequired("changing attributes")) }
        if values.isEmpty {
            return .failure(.init(.badArgument, "name at least one attribute to change (attr.NAME=VALUE)"))
        }
        var changes: [String: AttributeChange] = [:]
        changes.reserveCapacity(values.count)
        for name in values.keys.sorted() {
            let value = values[name]!
            if let refusal = checkAttributeValue(name: name, value: value, blankAllowed: true, template: template) {
                return .failure(refusal)
            }
            let old = current.attributes[name]
            let clearing = value.isBlank
            if (clearing && old == nil) || old == value {
                return .failure(.init(.badArgument, "attribute \(name) is already \(old ?? "unset"): no change"))
            }
            changes[name] = AttributeChange(old: old, new: clearing ? "" : value)
        }
        let role = firstTemplateRole(of: principal, in: template)!
        return .success([CaseEvent(
            at: at, actor: principal.name, role: role, kind: .attributesChanged(changes: changes, reason: reason))])
    }
}
