import AuditLog
import Workflow

/// A development case as the engine sees it: the projection of its audit chain.
///
/// Everything here can be rebuilt by replaying the chain through
/// `CaseEngine.evolve`; the store keeps it so reads need not replay.
public struct Case: Sendable, Equatable {
    public var id: String
    public var template: String
    public var templateVersion: Int
    public var title: String
    public var state: String
    public var stage: String
    public var attributes: [String: String]
    /// The last `seq` of the case's chain; `expect=` compares against it.
    public var version: Int64
    /// `hash` of the last event of the chain; signatures link to it.
    public var head: String
    public var opened: Timestamp
    /// When the case entered its current state.
    public var entered: Timestamp
    /// The `seq` of the event that entered the current state: attachments and
    /// signatures with a higher `seq` belong to the current stay.
    public var enteredSeq: Int64
    /// Time of the last event.
    public var updated: Timestamp
    public var hold: Hold?
    public var isFinal: Bool
    /// Latest attachment per document kind (case-wide).
    public var documents: [String: AttachedDocument]
    /// Signatures given during the current stay in the state, in order.
    public var signatures: [AppliedSignature]
    public var clocks: [String: ClockState]
    /// Overdue conditions already raised, so each is raised once: see `OverdueSubject`.
    public var overdueRaised: Set<OverdueSubject>

    public init(
        id: String, template: String, templateVersion: Int, title: String, state: String, stage: String,
        attributes: [String: String], version: Int64, head: String, opened: Timestamp, entered: Timestamp,
        enteredSeq: Int64, updated: Timestamp, hold: Hold? = nil, isFinal: Bool = false,
        documents: [String: AttachedDocument] = [:], signatures: [AppliedSignature] = [],
        clocks: [String: ClockState] = [:], overdueRaised: Set<OverdueSubject> = []
    ) {
        self.id = id; self.template = template; self.templateVersion = templateVersion; self.title = title
        self.state = state; self.stage = stage; self.attributes = attributes; self.version = version
        self.head = head; self.opened = opened; self.entered = entered; self.enteredSeq = enteredSeq
        self.updated = updated; self.hold = hold; self.isFinal = isFinal; self.documents = documents
        self.signatures = signatures; self.clocks = clocks; self.overdueRaised = overdueRaised
    }
}

public struct Hold: Sendable, Equatable {
    public var reason: String
    public var since: Timestamp
    public var by: String
    public init(reason: String, since: Timestamp, by: String) { self.reason = reason; self.since = since; self.by = by }
}

public struct AttachedDocument: Sendable, Equatable {
    public var kind: String
    /// Lowercase hex SHA-256 of the document's content.
    public var sha256: String
    public var uri: String?
    public var title: String?
    public var at: Timestamp
    public var seq: Int64
    public var by: String
    public init(kind: String, sha256: String, uri: String?, title: String?, at: Timestamp, seq: Int64, by: String) {
        self.kind = kind; self.sha256 = sha256; self.uri = uri; self.title = title; self.at = at; self.seq = seq
        self.by = by
    }
}

public struct AppliedSignature: Sendable, Equatable {
    public var transition: String
    public var role: String
    public var meaning: SignatureMeaning
    public var signer: String
    public var at: Timestamp
    public var seq: Int64
    /// Hash of the event the signature was given on (the chain head at signing).
    public var record: String
    public var reason: String?
    public init(
        transition: String, role: String, meaning: SignatureMeaning, signer: String, at: Timestamp, seq: Int64,
        record: String, reason: String?
    ) {
        self.transition = transition; self.role = role; self.meaning = meaning; self.signer = signer
        self.at = at; self.seq = seq; self.record = record; self.reason = reason
    }
}

/// A regulatory clock on one case. Elapsed time counts only while running.
public struct ClockState: Sendable, Equatable {
    public enum Status: String, Sendable { case running, paused, stopped }
    public var name: String
    public var status: Status
    /// Running time accumulated before `runningSince`, in microseconds.
    public var accumulated: Int64
    /// Set while running.
    public var runningSince: Timestamp?
    public init(name: String, status: Status, accumulated: Int64, runningSince: Timestamp?) {
        self.name = name; self.status = status; self.accumulated = accumulated; self.runningSince = runningSince
    }

    /// Running time up to `now`, in microseconds.
    public func elapsed(at now: Timestamp) -> Int64 {
        guard status == .running, let since = runningSince else { return accumulated }
        return accumulated + max(0, now.microseconds(since: since))
    }
}

/// What can become overdue: the stay in a state (its deadline) or a clock.
public enum OverdueSubject: Sendable, Hashable {
    /// The deadline of the state, for the stay that began at `enteredSeq`.
    case deadline(state: String, enteredSeq: Int64)
    case clock(String)
}

/// Who is asking: an authenticated user and the roles they hold.
/// The engine never takes identity from a client's arguments.
public struct Principal: Sendable, Equatable {
    public var name: String
    public var roles: Set<String>
    public init(name: String, roles: Set<String>) { self.name = name; self.roles = roles }
}
