import AuditLog
import Workflow

extension CaseEngine {
    /// Decides a command: the events it causes, or why it is refused.
    ///
    /// `current` is nil only for `.open` (the case does not exist yet). `by` is
    /// the authenticated user; the engine never takes identity from a command's
    /// arguments. Every change to an existing case first passes `guardChange`:
    /// - a final case refuses everything but `note` (`notAllowedNow`);
    /// - a case on hold refuses everything but `resume` and `note` (`notAllowedNow`);
    /// - the principal must hold at least one template role (`forbidden`):
    ///   `admin` and `regulator` alone can read a case but never change it.
    ///
    /// The events' `at` is `at`, or the case's last event time if `at` is earlier
    /// (so a trail never goes back in time).
    public static func decide(
        _ command: CaseCommand, on current: Case?, template: Template, by principal: Principal, at: Timestamp
    ) -> Result<[CaseEvent], CaseRejection> {
        if case .open(let open) = command {
            if let current {
                return .failure(.init(.notAllowedNow, "case \(current.id) already exists"))
            }
            return decideOpen(open, template: template, by: principal, at: at)
        }
        guard let current else {
            return .failure(.init(.notFound, "no such case"))
        }
        let at = eventTime(at, after: current)
        if let refusal = guardChange(command, on: current, template: template, by: principal) {
            return .failure(refusal)
        }
        switch command {
        case .open:
            preconditionFailure("handled above")
        case .advance(let transition, let reason):
            return decideAdvance(transition, reason: reason, on: current, template: template, by: principal, at: at)
        case .attach(let attachment):
            return decideAttach(attachment, on: current, template: template, by: principal, at: at)
        case .sign(let transition, let meaning, let reason):
            return decideSign(
                transition, meaning: meaning, reason: reason, on: current, template: template, by: principal, at: at)
        case .hold(let reason):
            return decideHold(reason: reason, on: current, template: template, by: principal, at: at)
        case .resume(let reason):
            return decideResume(reason: reason, on: current, template: template, by: principal, at: at)
        case .note(let text):
            return decideNote(text: text, on: current, template: template, by: principal, at: at)
        case .setAttributes(let values, let reason):
            return decideSetAttributes(values, reason: reason, on: current, template: template, by: principal, at: at)
        }
    }

    /// The checks every change to an existing case passes, in this order: final,
    /// on hold, holds a template role. nil when the command may go on.
    static func guardChange(
        _ command: CaseCommand, on current: Case, template: Template, by principal: Principal
    ) -> CaseRejection? {
        let isNote: Bool
        let isResume: Bool
        switch command {
        case .note: isNote = true; isResume = false
        case .resume: isNote = false; isResume = true
        default: isNote = false; isResume = false
        }
        if current.isFinal && !isNote {
            return .init(.notAllowedNow, "case \(current.id) is final (state \(current.state)); only notes can be added")
        }
        if let hold = current.hold, !isNote && !isResume {
            return .init(
                .notAllowedNow,
                "case is on hold since \(hold.since.messageText) by \(hold.by): \(hold.reason); resume it first")
        }
        if firstTemplateRole(of: principal, in: template) == nil {
            return .init(
                .forbidden,
                "\(principal.name) holds no role of template \(template.name) (roles: \(listed(template.roles.map(\.name))))")
        }
        return nil
    }

    /// A rejection for a missing or blank reason.
    static func reasonRequired(_ what: String) -> CaseRejection {
        .init(.badArgument, "\(what) needs a reason (reason=\"…\")")
    }
}
