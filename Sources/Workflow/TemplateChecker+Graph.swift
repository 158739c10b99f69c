/// The rules about the state graph. Every algorithm here is a breadth-first
/// search over the state index, linear in states plus transitions (times the
/// number of clocks for the clock rule), so large templates stay fast.
extension TemplateChecker {
    /// Successor indices of every state, skipping transitions to undeclared states.
    private var successors: [[Int]] {
        draft.states.map { state in state.transitions.compactMap { $0.to.flatMap { stateIndex[$0.value] } } }
    }

    /// States reached from `sources` by following `edges` (the sources included).
    static func reach(from sources: [Int], edges: [[Int]]) -> [Bool] {
        var seen = [Bool](repeating: false, count: edges.count)
        var queue = sources
        for source in sources { seen[source] = true }
        var head = 0
        while head < queue.count {
            let state = queue[head]; head += 1
            for next in edges[state] where !seen[next] {
                seen[next] = true
                queue.append(next)
            }
        }
        return seen
    }

    mutating func checkGraph() {
        let finals = draft.states.indices.filter { draft.states[$0].isFinal }
        if finals.isEmpty, !draft.states.isEmpty {
            sink.error(draft.statesAt ?? draft.rootAt, "the template has no final state; mark at least one state with final: true")
        }
        for index in finals {
            let state = draft.states[index]
            if !state.transitions.isEmpty {
                sink.error(state.transitionsAt ?? state.name.at, "final state '\(state.name.value)' cannot have transitions")
            }
        }

        let forward = successors
        if let initial = draft.initial, let start = stateIndex[initial.value] {
            let reachable = Self.reach(from: [start], edges: forward)
            for (index, state) in draft.states.enumerated() where !reachable[index] {
                sink.error(state.name.at, "state '\(state.name.value)' is unreachable from the initial state '\(initial.value)'")
            }
        }

        guard !finals.isEmpty else { return }
        var backward = [[Int]](repeating: [], count: forward.count)
        for (from, targets) in forward.enumerated() {
            for to in targets { backward[to].append(from) }
        }
        let canFinish = Self.reach(from: finals, edges: backward)
        for (index, state) in draft.states.enumerated() where !canFinish[index] && !state.isFinal {
            sink.error(state.name.at, "no final state can be reached from state '\(state.name.value)'")
        }
    }

    /// A clock may only be paused, resumed or stopped in a state that some path
    /// from `initial` reaches after starting it. For each clock: a search from
    /// the successors of every reachable state that starts it marks the states
    /// entered with the clock possibly started.
    mutating func checkClocks() {
        guard let initial = draft.initial, let start = stateIndex[initial.value] else { return }
        let forward = successors
        let reachable = Self.reach(from: [start], edges: forward)
        for clock in draft.clocks.map(\.name.value) {
            let starters = draft.states.indices.filter { index in
                reachable[index] && draft.states[index].clockEffects.contains { $0.clock.value == clock && $0.action == .start }
            }
            let afterStart = Self.reach(from: starters.flatMap { forward[$0] }, edges: forward)
            for (index, state) in draft.states.enumerated() {
                var startedHere = false
                for effect in state.clockEffects where effect.clock.value == clock {
                    if effect.action == .start {
                        startedHere = true
                    } else if !startedHere && !afterStart[index] {
                        sink.error(effect.clock.at, "clock '\(clock)' is \(Self.pastTense(effect.action)) in state '\(state.name.value)', but no path from '\(initial.value)' starts it first")
                    }
                }
            }
        }
    }

    private static func pastTense(_ action: ClockEffect.Action) -> String {
        switch action {
        case .start: "started"
        case .pause: "paused"
        case .resume: "resumed"
        case .stop: "stopped"
        }
    }
}
