import AuditLog
import Workflow

extension Case {
    /// Applies clock effects on entering a state, in order, at time `at`.
    ///
    /// - start: (re)start from zero, running; clears the clock's overdue flag so a
    ///   restarted clock can become overdue again.
    /// - pause: running → paused, banking the running time; otherwise nothing.
    /// - resume: paused → running; otherwise nothing.
    /// - stop: running or paused → stopped, freezing the figure; otherwise nothing.
    ///
    /// Effects on a clock that was never started do nothing except `start`.
    mutating func applyClockEffects(_ effects: [ClockEffect], at: Timestamp) {
        for effect in effects {
            switch effect.action {
            case .start:
                clocks[effect.clock] = ClockState(
                    name: effect.clock, status: .running, accumulated: 0, runningSince: at)
                overdueRaised.remove(.clock(effect.clock))
            case .pause:
                guard var clock = clocks[effect.clock], clock.status == .running else { continue }
                clock.bankRunningTime(until: at)
                clock.status = .paused
                clocks[effect.clock] = clock
            case .resume:
                guard var clock = clocks[effect.clock], clock.status == .paused else { continue }
                clock.status = .running
                clock.runningSince = at
                clocks[effect.clock] = clock
            case .stop:
                guard var clock = clocks[effect.clock], clock.status != .stopped else { continue }
                clock.bankRunningTime(until: at)
                clock.status = .stopped
                clocks[effect.clock] = clock
            }
        }
    }
}

extension ClockState {
    /// Moves running time up to `now` into `accumulated` and clears `runningSince`.
    mutating func bankRunningTime(until now: Timestamp) {
        accumulated = elapsed(at: now)
        runningSince = nil
    }
}
