import AuditLog
import Workflow

/// One transition out of the current state and what stands between it and being
/// fired now: the body of a `next` record in CASE SHOW.
public struct NextStep: Sendable, Equatable {
    public var transition: String
    public var to: String
    public var title: String?
    /// Roles allowed to fire it.
    public var roles: [String]
    /// Whether firing needs a reason.
    public var reasonRequired: Bool
    /// Unmet requirements in template order (as `advance` would report them).
    public var missing: [MissingRequirement]
    /// Obstacles other than requirements.
    public var obstacles: [Obstacle]

    public enum Obstacle: Sendable, Equatable {
        /// The case is on hold; resume it first.
        case onHold(Hold)
        /// The principal asked about holds none of the transition's roles.
        case roleRequired([String])
    }

    /// True when the transition could be fired now (given a reason if one is required).
    public var ready: Bool { missing.isEmpty && obstacles.isEmpty }

    public init(
        transition: String, to: String, title: String?, roles: [String], reasonRequired: Bool,
        missing: [MissingRequirement], obstacles: [Obstacle]
    ) {
        self.transition = transition; self.to = to; self.title = title; self.roles = roles
        self.reasonRequired = reasonRequired; self.missing = missing; self.obstacles = obstacles
    }
}

extension CaseEngine {
    /// Every transition out of the current state, in template order, with what
    /// is missing for `principal` to fire it now. With a principal, their own
    /// signatures are not counted (they could not fire it with them) and lacking
    /// a role is an obstacle; with nil, signatures of everyone count and roles are
    /// not checked ("could anyone fire it?"). A final case has no next steps.
    public static func next(_ current: Case, template: Template, for principal: Principal?) -> [NextStep] {
        guard !current.isFinal, let state = template.state(current.state) else { return [] }
        return state.transitions.map { transition in
            var obstacles: [NextStep.Obstacle] = []
            if let hold = current.hold { obstacles.append(.onHold(hold)) }
            if let principal, firstRole(of: principal, among: transition.roles) == nil {
                obstacles.append(.roleRequired(transition.roles))
            }
            let check = requirements(of: transition, on: current, firer: principal?.name)
            return NextStep(
                transition: transition.name, to: transition.to, title: transition.title, roles: transition.roles,
                reasonRequired: transition.reason == .required, missing: check.missing, obstacles: obstacles)
        }
    }
}
