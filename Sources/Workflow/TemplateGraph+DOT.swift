extension TemplateGraph {
    /// Graphviz DOT: stages are `cluster_` subgraphs labelled with the stage
    /// title; a point node points at the initial state; final states have a
    /// double border and show their outcome.
    public static func dot(_ template: Template) -> String {
        var out = "digraph \(quoted(template.name)) {\n"
        out += "  rankdir=TB;\n"
        out += "  node [shape=box, style=rounded];\n"
        if let title = template.title { out += "  label=\(quoted(title));\n  labelloc=t;\n" }
        for (stage, states) in statesByStage(template) {
            out += "  subgraph \(quoted("cluster_" + stage.name)) {\n"
            out += "    label=\(quoted(stage.title));\n"
            for state in states { out += "    \(node(state))\n" }
            out += "  }\n"
        }
        out += "  \"__start\" [shape=point];\n"
        out += "  \"__start\" -> \(quoted(template.initial));\n"
        for state in template.states {
            for transition in state.transitions {
                let (name, roles) = edgeLabelParts(transition)
                out += "  \(quoted(state.name)) -> \(quoted(transition.to)) [label=\(quoted(name + "\n" + roles))];\n"
            }
        }
        out += "}\n"
        return out
    }

    private static func node(_ state: State) -> String {
        var lines = [state.title ?? state.name]
        if state.title != nil { lines.append(state.name) }
        if state.isFinal, let outcome = state.outcome { lines.append("outcome: " + outcome) }
        var attributes = "label=\(quoted(lines.joined(separator: "\n")))"
        if state.isFinal { attributes += ", peripheries=2" }
        return "\(quoted(state.name)) [\(attributes)];"
    }

    /// A DOT double-quoted string: backslashes and quotes escaped, line breaks as `\n`.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n", "\r\n": out += "\\n"
            case "\r": break
            default: out.append(character)
            }
        }
        return out + "\""
    }
}
