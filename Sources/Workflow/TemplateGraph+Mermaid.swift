extension TemplateGraph {
    /// Mermaid `stateDiagram-v2`: stages are composite states, `[*]` marks the
    /// initial state and the final states. Mermaid ids are the names with `-`
    /// turned into `_` and a prefix (`s_` for states, `stage_` for stages) so
    /// no name can clash with a keyword; names never contain `_`, so the
    /// mapping is one-to-one.
    public static func mermaid(_ template: Template) -> String {
        var out = "stateDiagram-v2\n"
        for (stage, states) in statesByStage(template) {
            out += "    state \"\(label(stage.title))\" as \(stageID(stage.name)) {\n"
            for state in states {
                var text = state.title ?? state.name
                if state.isFinal, let outcome = state.outcome { text += " (outcome: \(outcome))" }
                out += "        state \"\(label(text))\" as \(stateID(state.name))\n"
            }
            out += "    }\n"
        }
        out += "    [*] --> \(stateID(template.initial))\n"
        for state in template.states {
            if state.isFinal { out += "    \(stateID(state.name)) --> [*]\n" }
            for transition in state.transitions {
                let (name, roles) = edgeLabelParts(transition)
                out += "    \(stateID(state.name)) --> \(stateID(transition.to)) : \(label(name + " " + roles))\n"
            }
        }
        return out
    }

    static func stateID(_ name: String) -> String { "s_" + underscored(name) }
    static func stageID(_ name: String) -> String { "stage_" + underscored(name) }
    /// Mermaid ids cannot hold `-`; names can (and cannot hold `_`), so this stays unique.
    private static func underscored(_ name: String) -> String { String(name.map { $0 == "-" ? "_" : $0 }) }

    /// Text safe inside Mermaid quotes and edge labels: characters Mermaid
    /// would read as syntax become entity codes, line breaks become spaces.
    static func label(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\"": out += "#quot;"
            case "#": out += "#35;"
            case ";": out += "#59;"
            case "\n", "\r\n", "\r": out += " "
            default: out.append(character)
            }
        }
        return out
    }
}
