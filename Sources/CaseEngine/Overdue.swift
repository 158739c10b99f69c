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
    ///
    /// A final case is closed: it raises nothing and is never overdue.
    public static func overdue(_ current: Case, template: Template, at: Timestamp) -> [CaseEvent] {
        guard !current.isFinal else { return [] }
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
        if current.isFinal { return false }
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

/// When a case's overdue conditions fall due, so a store can find them with
/// an index instead of asking every case.
public struct OverdueSchedule: Sendable, Equatable {
    /// The earliest time any condition holds (raised or not); nil when none
    /// can hold without a further change to the case.
    public var overdueAt: Timestamp?
    /// The earliest time a condition not yet raised holds: when `overdue`
    /// will next have something to raise.
    public var alarmAt: Timestamp?
    public init(overdueAt: Timestamp?, alarmAt: Timestamp?) { self.overdueAt = overdueAt; self.alarmAt = alarmAt }
}

extension CaseEngine {
    /// The schedule of `current` as it stands: it changes only with the case,
    /// so it is computed at every change and stored beside the projection.
    /// Consistent with `overdue` and `isOverdue`: at any `t`,
    /// `isOverdue(t) == (overdueAt <= t)` and `overdue(t)` is non-empty iff `alarmAt <= t`.
    public static func overdueSchedule(_ current: Case, template: Template) -> OverdueSchedule {
        guard !current.isFinal else { return OverdueSchedule(overdueAt: nil, alarmAt: nil) }
        var overdueAt: Timestamp?
        var alarmAt: Timestamp?
        func consider(_ t: Timestamp, raised: Bool) {
            if overdueAt.map({ t < $0 }) ?? true { overdueAt = t }
            if !raised, alarmAt.map({ t < $0 }) ?? true { alarmAt = t }
        }
        if let deadline = template.state(current.state)?.deadline {
            // Overdue once strictly past the limit: one microsecond after it.
            consider(current.entered.adding(microseconds: deadline.seconds * 1_000_000 + 1),
                     raised: current.overdueRaised.contains(.deadline(state: current.state, enteredSeq: current.enteredSeq)))
        }
        for spec in template.clocks {
            guard let clock = current.clocks[spec.name] else { continue }
            let limit = Int64(spec.days) * 86_400 * 1_000_000
            let raised = current.overdueRaised.contains(.clock(spec.name))
            if clock.status == .running, let since = clock.runningSince {
                consider(since.adding(microseconds: limit - clock.accumulated + 1), raised: raised)
            } else if clock.accumulated > limit {
                // Paused or stopped past its limit: overdue since it last changed.
                consider(current.updated, raised: raised)
            }
        }
        return OverdueSchedule(overdueAt: overdueAt, alarmAt: alarmAt)
    }
}
