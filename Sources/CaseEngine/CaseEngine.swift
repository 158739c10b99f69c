import AuditLog
import Workflow

/// The pure decision function of ATMP Tracker: state and command in, events or a rejection out.
///
/// Everything here is deterministic: time is an argument, there is no I/O, no
/// clock is read and nothing is random. The same case, template, principal,
/// command and time always give the same answer.
///
/// The public entry points, each in its own file:
/// - `decide` (Decide.swift and the `Decide+…` files): a command → events or a `CaseRejection`.
/// - `evolve` (Evolve.swift): a case and one sealed event → the new case.
/// - `overdue`, `isOverdue` (Overdue.swift): deadlines and regulatory clocks.
/// - `next` (Next.swift): what each transition out of the current state still needs.
public enum CaseEngine {}

extension CaseEngine {
    /// Actor and role of events the server raises itself (overdue).
    public static let systemActor = "system"
    public static let systemRole = "system"

    /// The first template role, in template order, that `principal` holds; nil when
    /// they hold none. System roles (`admin`, `regulator`) are never template roles,
    /// so they never appear here.
    static func firstTemplateRole(of principal: Principal, in template: Template) -> String? {
        for role in template.roles where principal.roles.contains(role.name) { return role.name }
        return nil
    }

    /// The first of `roles`, in the given order, that `principal` holds.
    static func firstRole(of principal: Principal, among roles: [String]) -> String? {
        for role in roles where principal.roles.contains(role) { return role }
        return nil
    }

    /// The time to stamp on a new event: `at`, but never earlier than the case's
    /// last event, so a trail stays in time order even if the host clock steps back.
    static func eventTime(_ at: Timestamp, after current: Case?) -> Timestamp {
        guard let current, current.updated > at else { return at }
        return current.updated
    }
}

extension String {
    /// True when the string holds nothing but white space (or nothing at all).
    /// Scalars, not Characters: no grapheme breaking on the hot path.
    var isBlank: Bool {
        // Most text starts with a visible ASCII character: decide on it without
        // looking up Unicode properties.
        if let first = utf8.first, first > 0x20, first < 0x7F { return false }
        return unicodeScalars.allSatisfy(\.properties.isWhitespace)
    }
}

extension Optional where Wrapped == String {
    /// nil for nil or blank text: an optional reason, uri or title left blank is absent.
    var nonBlank: String? {
        guard let s = self, !s.isBlank else { return nil }
        return s
    }
}

/// Lists names for a message: `a, b, c`, or `none`.
func listed(_ names: [String]) -> String {
    names.isEmpty ? "none" : names.joined(separator: ", ")
}
