import AuditLog
import Workflow

/// Something that happened to a case, as decided by the engine. Each one
/// becomes exactly one audit event (`record`), and can be read back from one
/// (`init(record:)`), so a case can always be rebuilt from its chain.
public struct CaseEvent: Sendable, Equatable {
    public var at: Timestamp
    /// The authenticated user, or `system` for events the server raises.
    public var actor: String
    /// The role the actor acted in.
    public var role: String
    public var kind: Kind

    public init(at: Timestamp, actor: String, role: String, kind: Kind) {
        self.at = at; self.actor = actor; self.role = role; self.kind = kind
    }

    public enum Kind: Sendable, Equatable {
        /// `case.opened`; `clocks` lists the clock effects of the initial state, applied on opening
        /// (opening enters the initial state like any other entry).
        case opened(template: String, templateVersion: Int, title: String, state: String, stage: String,
                    attributes: [String: String], clocks: [ClockEffect] = [])
        /// `case.advanced`; `clocks` lists the clock effects applied on entry to `to`.
        case advanced(transition: String, from: String, to: String, reason: String?, clocks: [ClockEffect])
        /// `document.attached`
        case documentAttached(kind: String, sha256: String, uri: String?, title: String?, reason: String?)
        /// `signature.applied`; `record` is the hash of the chain head at signing.
        case signatureApplied(transition: String, meaning: SignatureMeaning, reason: String?, record: String)
        /// `case.held`
        case held(reason: String)
        /// `case.resumed`
        case resumed(reason: String)
        /// `case.noted`
        case noted(text: String)
        /// `case.attributes-changed`: old (nil when unset) and new value per attribute.
        case attributesChanged(changes: [String: AttributeChange], reason: String)
        /// `case.overdue`, raised by the server (actor `system`).
        case overdue(Overdue)
    }
}

public struct AttributeChange: Sendable, Equatable {
    public var old: String?
    public var new: String
    public init(old: String?, new: String) { self.old = old; self.new = new }
}

public struct Overdue: Sendable, Equatable {
    public enum Subject: String, Sendable { case deadline, clock }
    public var subject: Subject
    /// The state (for a deadline) or the clock name.
    public var name: String
    /// Allowed time, in seconds.
    public var limitSeconds: Int64
    /// Time used when raised, in seconds.
    public var elapsedSeconds: Int64
    public init(subject: Subject, name: String, limitSeconds: Int64, elapsedSeconds: Int64) {
        self.subject = subject; self.name = name; self.limitSeconds = limitSeconds; self.elapsedSeconds = elapsedSeconds
    }
}
