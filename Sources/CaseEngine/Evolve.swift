import AuditLog
import Workflow

extension CaseEngine {
    /// The case after one event, sealed into the case's chain as `seq` with `hash`.
    ///
    /// `current` is nil only for `.opened`, which builds a new case (and ignores
    /// any `current`). Every event sets `version = seq`, `head = hash`,
    /// `updated = event.at`. Clock effects come from the event, not the
    /// template, so replaying a chain reproduces exactly what was recorded.
    ///
    /// Replaying an untrusted chain? Use `replay(_:template:)`, which checks the
    /// order of events instead of trapping.
    public static func evolve(
        _ current: consuming Case?, _ event: CaseEvent, caseID: String, seq: Int64, hash: String, template: Template
    ) -> Case {
        if case .opened(let name, let version, let title, let state, let stage, let attributes, let effects) = event.kind {
            var opened = Case(
                id: caseID, template: name, templateVersion: version, title: title, state: state, stage: stage,
                attributes: attributes, version: seq, head: hash, opened: event.at, entered: event.at,
                enteredSeq: seq, updated: event.at, isFinal: template.state(state)?.isFinal ?? false)
            opened.applyClockEffects(effects, at: event.at)
            return opened
        }
        guard var next = current.take() else {
            preconditionFailure("event \(seq) of case \(caseID) is not case.opened, but there is no case yet")
        }
        next.apply(event, seq: seq, hash: hash, template: template)
        return next
    }

    /// Applies one sealed event to a case in place: the allocation-free form of
    /// `evolve` for callers that own the case.
    public static func evolve(
        _ current: inout Case, _ event: CaseEvent, seq: Int64, hash: String, template: Template
    ) {
        if case .opened = event.kind {
            current = evolve(nil, event, caseID: current.id, seq: seq, hash: hash, template: template)
        } else {
            current.apply(event, seq: seq, hash: hash, template: template)
        }
    }
}

extension Case {
    /// Every event kind but `.opened`.
    fileprivate mutating func apply(_ event: CaseEvent, seq: Int64, hash: String, template: Template) {
        switch event.kind {
        case .opened:
            preconditionFailure("case.opened on an existing case")
        case .advanced(_, _, let to, _, let effects):
            let target = template.state(to)
            state = to
            stage = target?.stage ?? stage
            isFinal = target?.isFinal ?? false
            entered = event.at
            enteredSeq = seq
            // A signature belongs to one stay; leaving the state (a self-loop too) ends it.
            signatures.removeAll(keepingCapacity: true)
            // Deadlines are per stay: the old stay's flags can never match again.
            if !overdueRaised.isEmpty {
                overdueRaised = overdueRaised.filter { if case .clock = $0 { true } else { false } }
            }
            applyClockEffects(effects, at: event.at)
        case .documentAttached(let kind, let sha256, let uri, let title, _):
            documents[kind] = AttachedDocument(
                kind: kind, sha256: sha256, uri: uri, title: title, at: event.at, seq: seq, by: event.actor)
        case .signatureApplied(let transition, let meaning, let reason, let record):
            signatures.append(AppliedSignature(
                transition: transition, role: event.role, meaning: meaning, signer: event.actor, at: event.at,
                seq: seq, record: record, reason: reason))
        case .held(let reason):
            hold = Hold(reason: reason, since: event.at, by: event.actor)
        case .resumed:
            hold = nil
        case .noted:
            break
        case .attributesChanged(let changes, _):
            for (name, change) in changes {
                if change.new.isEmpty { attributes.removeValue(forKey: name) } else { attributes[name] = change.new }
            }
        case .overdue(let overdue):
            switch overdue.subject {
            case .deadline: overdueRaised.insert(.deadline(state: overdue.name, enteredSeq: enteredSeq))
            case .clock: overdueRaised.insert(.clock(overdue.name))
            }
        }
        version = seq
        head = hash
        updated = event.at
    }
}
