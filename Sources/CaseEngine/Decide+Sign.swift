import AuditLog
import Workflow

extension CaseEngine {
    /// `sign`: an electronic signature on a transition out of the current state,
    /// for the current stay. Checked in order:
    /// - the transition exists out of the current state (`notFound`);
    /// - `meaning` is one of approved, reviewed, authored, responsible (`badArgument`);
    /// - the transition asks for a signature with that meaning (`badArgument`, saying what it asks for);
    /// - the principal holds the role of such a requirement (`forbidden`);
    /// - the principal has not already signed this transition in this stay (`notAllowedNow`);
    /// - that requirement is not already met by distinct signers (`notAllowedNow`).
    ///
    /// When several requirements share the meaning, the first one, in template
    /// order, whose role the principal holds and that still needs signers is used;
    /// its role becomes the event's role. The signature links to the chain head
    /// (`record` = `case.head`), as 21 CFR 11.70 asks.
    static func decideSign(
        _ name: String, meaning: String, reason: String?, on current: Case, template: Template,
        by principal: Principal, at: Timestamp
    ) -> Result<[CaseEvent], CaseRejection> {
        let transition: Transition
        switch transitionOut(named: name, of: current, template: template) {
        case .success(let t): transition = t
        case .failure(let refusal): return .failure(refusal)
        }
        guard let meaning = SignatureMeaning(rawValue: meaning) else {
            return .failure(.init(
                .badArgument,
                "unknown signature meaning \(meaning); use one of: \(listed(SignatureMeaning.allCases.map(\.rawValue)))"))
        }
        let withMeaning = transition.signatures.filter { $0.meaning == meaning }
        if withMeaning.isEmpty {
            let asked = transition.signatures.map { "\($0.meaning.rawValue) by \($0.role)" }
            return .failure(.init(
                .badArgument,
                "transition \(name) asks for no \(meaning.rawValue) signature; it asks for: \(listed(asked))"))
        }
        let mine = withMeaning.filter { principal.roles.contains($0.role) }
        if mine.isEmpty {
            return .failure(.init(
                .forbidden,
                "a \(meaning.rawValue) signature on \(name) needs one of the roles: \(listed(withMeaning.map(\.role)))"))
        }
        if current.signatures.contains(where: { $0.transition == name && $0.signer == principal.name }) {
            return .failure(.init(
                .notAllowedNow, "\(principal.name) has already signed transition \(name) during this stay"))
        }
        let open = mine.first { signers(for: $0, on: name, in: current.signatures, excluding: nil).count < $0.count }
        guard let requirement = open else {
            return .failure(.init(
                .notAllowedNow, "the \(meaning.rawValue) signatures on \(name) are complete; no more are needed"))
        }
        return .success([CaseEvent(
            at: at, actor: principal.name, role: requirement.role,
            kind: .signatureApplied(transition: name, meaning: meaning, reason: reason.nonBlank, record: current.head))])
    }
}
