/// Diagram sources for a template's state graph: Graphviz DOT and Mermaid.
/// States are grouped by stage (in stage order); the initial state and the
/// final states are marked; each edge shows the transition and who may fire it.
public enum TemplateGraph {
    /// States of each stage, in stage order then file order; stages without states are left out.
    static func statesByStage(_ template: Template) -> [(stage: Stage, states: [State])] {
        var byStage: [String: [State]] = [:]
        for state in template.states { byStage[state.stage, default: []].append(state) }
        return template.stages.compactMap { stage in
            byStage[stage.name].map { (stage, $0) }
        }
    }

    /// `name` then `[role, role]` — the edge label both formats use.
    static func edgeLabelParts(_ transition: Transition) -> (name: String, roles: String) {
        (transition.name, "[" + transition.roles.joined(separator: ", ") + "]")
    }
}
