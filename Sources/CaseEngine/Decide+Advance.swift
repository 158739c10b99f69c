import AuditLog
import Workflow

extension CaseEngine {
    /// `advance`: fire a transition out of the current state. Checked in order:
    /// - the transition exists out of the current state (`notFound`, listing those that do);
    /// - the principal holds one of its roles (`forbidden`, naming them); the event's
    ///   role is the first of the transition's roles the principal holds;
    /// - a reason is given when the transition requires one (`badArgument`);
    /// - every requirement is met (`requirementsUnmet`, with *all* missing items in
    ///   template order: `when` conditions, documents, signatures). The firer's own
    ///   signature never counts (separation of duties).
    ///
    /// The event carries the target state's clock effects, applied on entry.
    static func decideAdvance(
        _ name: String, reason: String?, on current: Case, template: Template, by principal: Principal, at: Timestamp
    ) -> Result<[CaseEvent], CaseRejection> {
        let transition: Transition
        switch transitionOut(named: name, of: current, template: template) {
        case .success(let t): transition = t
        case .failure(let refusal): return .failure(refusal)
        }
        guard let role = firstRole(of: principal, among: transition.roles) else {
            return .failure(.init(
                .forbidden, "transition \(name) may be fired only by the roles: \(listed(transition.roles))"))
        }
        let reason = reason.nonBlank
        if transition.reason == .required && reason == nil {
            return .failure(reasonRequired("transition \(name)"))
        }
        let check = requirements(of: transition, on: current, firer: principal.name)
        if !check.missing.isEmpty {
            return .failure(check.rejection(transition: name))
        }
        guard let target = template.state(transition.to) else {
            preconditionFailure("validated template \(template.name) lacks state \(transition.to)")
        }
        return .success([CaseEvent(
            at: at, actor: principal.name, role: role,
            kind: .advanced(
                transition: name, from: current.state, to: target.name, reason: reason, clocks: target.clockEffects))])
    }

    /// The transition `name` out of the case's current state, or `notFound`
    /// naming the state and the transitions that do leave it.
    static func transitionOut(
        named name: String, of current: Case, template: Template
    ) -> Result<Transition, CaseRejection> {
        guard let state = template.state(current.state) else {
            return .failure(.init(.notFound, "state \(current.state) is not in template \(template.name)"))
        }
        guard let transition = state.transition(name) else {
            return .failure(.init(
                .notFound,
                "no transition \(name) out of state \(state.name); transitions out of it: \(listed(state.transitions.map(\.name)))"
            ))
        }
        return .success(transition)
    }
}
