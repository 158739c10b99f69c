/// One step of a route through a template: a transition out of a state.
public struct RouteStep: Sendable, Equatable {
    public var from: String
    public var transition: Transition
    public init(from: String, transition: Transition) { self.from = from; self.transition = transition }
}

extension Template {
    /// The shortest route (fewest transitions) from `initial` to a final state
    /// with this `outcome`, or nil when there is none. Breadth-first, in file
    /// order, so the answer is deterministic.
    public func route(toOutcome outcome: String) -> [RouteStep]? {
        var cameFrom: [String: RouteStep] = [:]
        var seen: Set<String> = [initial]
        var queue = [initial]
        var head = 0
        while head < queue.count {
            let name = queue[head]
            head += 1
            guard let state = state(name) else { continue }
            if state.isFinal, state.outcome == outcome {
                var steps: [RouteStep] = []
                var at = name
                while let step = cameFrom[at] {
                    steps.append(step)
                    at = step.from
                }
                return steps.reversed()
            }
            for transition in state.transitions where !seen.contains(transition.to) {
                seen.insert(transition.to)
                cameFrom[transition.to] = RouteStep(from: name, transition: transition)
                queue.append(transition.to)
            }
        }
        return nil
    }

    /// For each attribute that is required or that a `when` on `route` tests:
    /// the values allowed by its `values` and by every condition on the route,
    /// in declaration order (nil: free text). An empty list means no value
    /// satisfies every condition, so the route cannot be taken in one go.
    public func attributeValues(satisfying route: [RouteStep]) -> [String: [String]?] {
        var result: [String: [String]?] = [:]
        for spec in attributes {
            var allowed = spec.values
            var conditioned = false
            for step in route {
                for condition in step.transition.when where condition.attribute == spec.name {
                    conditioned = true
                    allowed = (allowed ?? condition.values).filter(condition.values.contains)
                }
            }
            guard spec.required || conditioned else { continue }
            result[spec.name] = .some(allowed)
        }
        return result
    }
}
