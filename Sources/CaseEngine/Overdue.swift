import AuditLog
import Workflow

extension CaseEngine {
    /// The overdue events to raise at `at` (actor and role `system`), each
    /// condition raised once:
    /// - deadline: the case is not final, its current state has a deadline, it has
    ///   stayed longer than that (`at - entered > deadline`), and this has not been
    ///   raised for this stay. A new stay in the state (even a self-loop) re-arms it.
    /// - clock: for each template clock in file order, running time exceeds
    ///   `days` × 86 400 s, and this has not been raised since the clock last started.
    ///
    /// Elapsed and limit figures are whole seconds (fractions dropped). Like every
    /// event, these are never stamped earlier than the case's last event.
    public static func overdue(_ current: Case, template: Template, at: Timestamp) -> [CaseEvent] {
        let at = eventTime(at, after: current)
        var events: [CaseEvent] = []
        if let (limit, elapsed) = deadlineOverrun(current, template: template, at: at),
            !current.overdueRaised.contains(.deadline(state: current.state, enteredSeq: current.enteredSeq))
        {
            events.append(systemEvent(at: at, .init(
                subject: .deadline, name: current.state, limitSeconds: limit / 1_000_000,
                elapsedSeconds: elapsed / 1_000_000)))
        }
        for spec in template.clocks {
            guard let (limit, elapsed) = clockOverrun(spec, on: current, at: at),
                !current.overdueRaised.contains(.clock(spec.name))
            else { continue }
            events.append(systemEvent(at: at, .init(
                subject: .clock, name: spec.name, limitSeconds: limit / 1_000_000,
                elapsedSeconds: elapsed / 1_000_000)))
        }
        return events
    }

    /// True when a deadline or clock condition holds at `at`, raised or not.
    public static func isOverdue(_ current: Case, template: Template, at: Timestamp) -> Bool {
        if deadlineOverrun(current, template: template, at: at) != nil { return true }
        for spec in template.clocks where clockOverrun(spec, on: current, at: at) != nil { return true }
        return false
    }

    /// (limit, elapsed) in microseconds when the current stay has outrun its deadline.
    static func deadlineOverrun(_ current: Case, template: Template, at: Timestamp) -> (Int64, Int64)? {
        guard !current.isFinal, let deadline = template.state(current.state)?.deadline else { return nil }
        let limit = deadline.seconds * 1_000_000
        let elapsed = at.microseconds(since: current.entered)
        return elapsed > limit ? (limit, elapsed) : nil
    }

    /// (limit, elapsed) in microseconds when the clock's running time exceeds its days.
    static func clockOverrun(_ spec: ClockSpec, on current: Case, at: Timestamp) -> (Int64, Int64)? {
        guard let clock = current.clocks[spec.name] else { return nil }
        let limit = Int64(spec.days) * 86_400 * 1_000_000
        let elapsed = clock.elapsed(at: at)
        return elapsed > limit ? (limit, elapsed) : nil
    }

    static func systemEvent(at: Timestamp, _ overdue: Overdue) -> CaseEvent {
        CaseEvent(at: at, actor: systemActor, role: systemRole, kind: .overdue(overdue))
    }
}
