import CaseEngine
import Workflow

/// Who may run each command: one table for the whole daemon, checked by
/// `CommandService.handle` (the static part) and by the handlers (the part
/// that depends on a case or template). The engine still checks the specific
/// roles of each transition and signature after this.
enum Permission: Sendable, Equatable {
    /// Anyone, signed in or not: HELLO, AUTH, PING, QUIT.
    case anyone
    /// Any signed-in user.
    case signedIn
    /// Users holding `admin`.
    case admin
    /// `admin`, or the user the command names (USER PASSWORD on oneself).
    case adminOrSelf
    /// Holders of a role of the case's (or named) template. `admin` and
    /// `regulator` alone never qualify: they read cases but never change them.
    case templateRole
    /// `regulator`, `admin`, and holders of a role of the case's template.
    case caseReader
    /// The `system` chain and all chains: `regulator` and `admin`; a case
    /// chain: its `caseReader`s.
    case auditReader
    /// WATCH all: `regulator` and `admin`; WATCH case=/template=: those who can read it.
    case watcher
}

enum Authorization {
    static let permissions: [String: Permission] = [
        "HELLO": .anyone, "AUTH": .anyone, "PING": .anyone, "QUIT": .anyone,
        "USER ADD": .admin, "USER LIST": .admin, "USER ROLES": .admin, "USER DISABLE": .admin,
        "USER ENABLE": .admin, "USER PASSWORD": .adminOrSelf,
        "TEMPLATE PUT": .admin,
        "TEMPLATE CHECK": .signedIn, "TEMPLATE LIST": .signedIn, "TEMPLATE SHOW": .signedIn,
        "TEMPLATE GRAPH": .signedIn,
        "CASE OPEN": .templateRole, "CASE ADVANCE": .templateRole, "CASE ATTACH": .templateRole,
        "CASE SIGN": .templateRole, "CASE HOLD": .templateRole, "CASE RESUME": .templateRole,
        "CASE NOTE": .templateRole, "CASE SET": .templateRole,
        "CASE SHOW": .caseReader,
        // Everyone signed in may list; the list holds only cases they may read.
        "CASE LIST": .signedIn,
        "AUDIT TRAIL": .auditReader, "AUDIT VERIFY": .auditReader,
        "AUDIT EXPORT": .auditReader,
        "WATCH": .watcher, "UNWATCH": .signedIn,
        "STATS": .admin,
    ]

    /// Regulators and admins read every case and every chain.
    static func readsEverything(_ principal: Principal) -> Bool {
        principal.roles.contains(SystemRole.admin) || principal.roles.contains(SystemRole.regulator)
    }

    static func isAdmin(_ principal: Principal) -> Bool { principal.roles.contains(SystemRole.admin) }

    /// Holds at least one role the template defines.
    static func holdsRole(of template: Template, _ principal: Principal) -> Bool {
        template.roles.contains { principal.roles.contains($0.name) }
    }

    static func mayRead(_ template: Template, _ principal: Principal) -> Bool {
        readsEverything(principal) || holdsRole(of: template, principal)
    }

    /// A template role is needed to change a case, and the regulator role
    /// forbids it whatever else the user holds: whoever inspects the record
    /// must never also write it (segregation of duties).
    static func mayChange(_ template: Template, _ principal: Principal) -> Bool {
        !principal.roles.contains(SystemRole.regulator) && holdsRole(of: template, principal)
    }

    /// The part of the table that needs no case or template: nil when the
    /// command may go on to its handler (which checks the rest).
    static func staticRefusal(_ permission: Permission, command: String, principal: Principal,
                              namedUser: String?) -> ServiceFailure? {
        switch permission {
        case .admin where !isAdmin(principal):
            return .forbidden("\(command) needs the admin role")
        case .adminOrSelf where !isAdmin(principal) && namedUser != principal.name:
            return .forbidden("\(command) needs the admin role (or names yourself)")
        default:
            return nil
        }
    }
}
