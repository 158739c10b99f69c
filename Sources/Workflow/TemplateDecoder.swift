/// Reads the shape of a template — keys, types, names, durations — from the
/// YAML node tree into a `TemplateDraft`. Meaning (references, the graph) is
/// checked afterwards by `TemplateChecker`.
struct TemplateDecoder {
    var reader: NodeReader

    init(file: String, nodeBudget: Int = TemplateLimits.maxNodes) {
        reader = NodeReader(file: file, nodeBudget: nodeBudget)
    }

    static let rootKeys = ["template", "title", "description", "roles", "open-roles", "attributes",
                           "documents", "stages", "clocks", "initial", "states"]
    static let attributeKeys = ["title", "required", "values"]
    static let clockKeys = ["title", "days"]
    static let stateKeys = ["stage", "title", "deadline", "clock", "final", "outcome", "transitions"]
    static let transitionKeys = ["to", "title", "roles", "when", "requires", "reason"]
    static let requiresKeys = ["documents", "signatures"]
    static let signatureKeys = ["role", "meaning", "count"]
    static let documentKeys = ["kind", "since"]

    mutating func decode(_ root: YAMLNode) throws -> TemplateDraft {
        var draft = TemplateDraft(rootAt: NodeReader.position(root))
        guard let fields = try reader.fields(root, "the template", owner: draft.rootAt,
                                             allowed: Self.rootKeys,
                                             required: ["template", "roles", "stages", "initial", "states"])
        else { return draft }

        if let node = fields["template"] { draft.name = try reader.name(node, "template name") }
        if let node = fields["title"] { draft.title = try reader.text(node, "title")?.value }
        if let node = fields["description"] { draft.description = try reader.text(node, "description")?.value }
        if let node = fields["roles"] { draft.roles = try namedTitles(node, "roles", entry: "role") }
        if let node = fields["open-roles"] { draft.openRoles = try names(node, "open-roles", each: "role") }
        if let node = fields["attributes"] { draft.attributes = try attributes(node) }
        if let node = fields["documents"] { draft.documents = try namedTitles(node, "documents", entry: "document") }
        if let node = fields["stages"] { draft.stages = try namedTitles(node, "stages", entry: "stage") }
        if let node = fields["clocks"] { draft.clocks = try clocks(node) }
        if let node = fields["initial"] { draft.initial = try reader.text(node, "initial state") }
        if let node = fields["states"] {
            draft.statesAt = fields.keyPosition("states")
            draft.states = try states(node)
        }
        return draft
    }

    // MARK: Declarations

    /// `name: Title` entries: roles, documents, stages.
    private mutating func namedTitles(_ node: YAMLNode, _ what: String, entry: String) throws -> [NamedTitle] {
        guard let entries = try reader.namedEntries(node, what, entry: entry) else { return [] }
        var result: [NamedTitle] = []
        for (name, value) in entries {
            guard let title = try reader.text(value, "the title of \(entry) '\(name.value)'") else { continue }
            result.append(NamedTitle(name: name, title: title.value))
        }
        return result
    }

    /// A list of names referring to declarations, e.g. `[project-lead, qa]`.
    /// References are not checked against the naming rule: a bad declaration
    /// is reported once, and a reference to nothing is reported as undeclared.
    private mutating func names(_ node: YAMLNode, _ what: String, each: String) throws -> [Located<String>] {
        guard let items = try reader.list(node, what) else { return [] }
        var result: [Located<String>] = []
        for item in items {
            if let name = try reader.text(item, "\(each) name in \(what)") { result.append(name) }
        }
        return result
    }

    private mutating func attributes(_ node: YAMLNode) throws -> [AttributeDraft] {
        guard let entries = try reader.namedEntries(node, "attributes", entry: "attribute") else { return [] }
        var result: [AttributeDraft] = []
        for (name, value) in entries {
            var attribute = AttributeDraft(name: name)
            guard let fields = try reader.fields(value, "attribute '\(name.value)'", owner: name.at,
                                                 allowed: Self.attributeKeys) else { continue }
            if let node = fields["title"] { attribute.title = try reader.text(node, "title")?.value }
            if let node = fields["required"] { attribute.required = try reader.bool(node, "required") ?? false }
            if let node = fields["values"], let items = try reader.list(node, "values") {
                var values: [Located<String>] = []
                for item in items {
                    if let text = try reader.text(item, "an attribute value") { values.append(text) }
                }
                if items.isEmpty {
                    reader.sink.error(NodeReader.position(node), "values of attribute '\(name.value)' must list at least one value")
                }
                attribute.values = values
            }
            result.append(attribute)
        }
        return result
    }

    private mutating func clocks(_ node: YAMLNode) throws -> [ClockDraft] {
        guard let entries = try reader.namedEntries(node, "clocks", entry: "clock") else { return [] }
        var result: [ClockDraft] = []
        for (name, value) in entries {
            var clock = ClockDraft(name: name)
            guard let fields = try reader.fields(value, "clock '\(name.value)'", owner: name.at,
                                                 allowed: Self.clockKeys, required: ["days"]) else { continue }
            if let node = fields["title"] { clock.title = try reader.text(node, "title")?.value }
            if let node = fields["days"] { clock.days = try reader.positiveInteger(node, "days") }
            result.append(clock)
        }
        return result
    }

    // MARK: States

    private mutating func states(_ node: YAMLNode) throws -> [StateDraft] {
        guard let entries = try reader.namedEntries(node, "states", entry: "state") else { return [] }
        var result: [StateDraft] = []
        result.reserveCapacity(entries.count)
        for (name, value) in entries {
            if let state = try state(name, value) { result.append(state) }
        }
        return result
    }

    private mutating func state(_ name: Located<String>, _ node: YAMLNode) throws -> StateDraft? {
        var state = StateDraft(name: name)
        guard let fields = try reader.fields(node, "state '\(name.value)'", owner: name.at,
                                             allowed: Self.stateKeys, required: ["stage"]) else { return nil }
        if let node = fields["stage"] { state.stage = try reader.text(node, "stage name") }
        if let node = fields["title"] { state.title = try reader.text(node, "title")?.value }
        if let node = fields["deadline"], let text = try reader.text(node, "deadline") {
            state.deadline = duration(text, "deadline")
        }
        if let node = fields["clock"] { state.clockEffects = try clockEffects(node) }
        if let node = fields["final"] { state.isFinal = try reader.bool(node, "final") ?? false }
        if let node = fields["outcome"] { state.outcome = try reader.text(node, "outcome")?.value }
        if let node = fields["transitions"] {
            state.transitionsAt = fields.keyPosition("transitions")
            if let entries = try reader.namedEntries(node, "transitions of state '\(name.value)'", entry: "transition") {
                for (transitionName, value) in entries {
                    if let transition = try transition(transitionName, value) { state.transitions.append(transition) }
                }
            }
        }
        return state
    }

    private mutating func duration(_ text: Located<String>, _ what: String) -> TemplateDuration? {
        if let duration = TemplateDuration(parsing: text.value) { return duration }
        reader.sink.error(text.at, "bad \(what) '\(text.value)': write Nd, Nh or an ISO 8601 duration such as P45D, PT12H or P1DT12H (no months or years; more than zero)")
        return nil
    }

    /// `clock: { start: maa }`, or (our extension) `clock: { stop: [maa, ctx] }`.
    private mutating func clockEffects(_ node: YAMLNode) throws -> [ClockEffectDraft] {
        guard let pairs = try reader.pairs(node, "clock") else { return [] }
        var effects: [ClockEffectDraft] = []
        for (key, value) in pairs {
            guard let action = ClockEffect.Action(rawValue: key.value) else {
                reader.sink.error(key.at, "unknown clock action '\(key.value)'; expected start, pause, resume or stop")
                continue
            }
            if case .sequence = value {
                for clock in try names(value, "clock \(action.rawValue)", each: "clock") {
                    effects.append(ClockEffectDraft(action: action, clock: clock))
                }
            } else if let clock = try reader.text(value, "clock name") {
                effects.append(ClockEffectDraft(action: action, clock: clock))
            }
        }
        return effects
    }

    // MARK: Transitions

    private mutating func transition(_ name: Located<String>, _ node: YAMLNode) throws -> TransitionDraft? {
        var transition = TransitionDraft(name: name)
        guard let fields = try reader.fields(node, "transition '\(name.value)'", owner: name.at,
                                             allowed: Self.transitionKeys, required: ["to", "roles"]) else { return nil }
        if let node = fields["to"] { transition.to = try reader.text(node, "target state") }
        if let node = fields["title"] { transition.title = try reader.text(node, "title")?.value }
        if let node = fields["roles"] {
            transition.roles = try names(node, "roles", each: "role")
            if case let .sequence(list) = node, list.items.isEmpty {
                reader.sink.error(NodeReader.position(node), "transition '\(name.value)' needs at least one role that may fire it")
            }
        }
        if let node = fields["when"] { transition.when = try conditions(node) }
        if let node = fields["requires"],
           let requires = try reader.fields(node, "requires", owner: fields.keyPosition("requires") ?? name.at,
                                            allowed: Self.requiresKeys) {
            if let node = requires["documents"] { transition.documents = try documentRequirements(node) }
            if let node = requires["signatures"] { transition.signatures = try signatures(node) }
        }
        if let node = fields["reason"], let text = try reader.text(node, "reason") {
            if let policy = Transition.ReasonPolicy(rawValue: text.value) {
                transition.reason = policy
            } else {
                reader.sink.error(text.at, "bad reason '\(text.value)'; expected required or optional")
            }
        }
        return transition
    }

    private mutating func conditions(_ node: YAMLNode) throws -> [ConditionDraft] {
        guard let pairs = try reader.pairs(node, "when") else { return [] }
        var result: [ConditionDraft] = []
        for (attribute, value) in pairs {
            guard let items = try reader.list(value, "the values for '\(attribute.value)' in when") else { continue }
            if items.isEmpty {
                reader.sink.error(NodeReader.position(value), "when '\(attribute.value)' must list at least one value")
            }
            var values: [Located<String>] = []
            for item in items {
                if let text = try reader.text(item, "an attribute value") { values.append(text) }
            }
            result.append(ConditionDraft(attribute: attribute, values: values))
        }
        return result
    }

    /// Items are a document kind, or `{ kind: NAME, since: entry }`.
    private mutating func documentRequirements(_ node: YAMLNode) throws -> [DocumentRequirementDraft] {
        guard let items = try reader.list(node, "requires.documents") else { return [] }
        var result: [DocumentRequirementDraft] = []
        for item in items {
            if case .mapping = item {
                guard let fields = try reader.fields(item, "a document requirement", owner: NodeReader.position(item),
                                                     allowed: Self.documentKeys, required: ["kind"]) else { continue }
                var sinceEntry = false
                if let node = fields["since"], let since = try reader.text(node, "since") {
                    if since.value == "entry" {
                        sinceEntry = true
                    } else {
                        reader.sink.error(since.at, "bad since '\(since.value)'; the only value is entry")
                    }
                }
                if let node = fields["kind"], let kind = try reader.text(node, "document kind") {
                    result.append(DocumentRequirementDraft(kind: kind, sinceEntry: sinceEntry))
                }
            } else if let kind = try reader.text(item, "document kind") {
                result.append(DocumentRequirementDraft(kind: kind, sinceEntry: false))
            }
        }
        return result
    }

    private mutating func signatures(_ node: YAMLNode) throws -> [SignatureDraft] {
        guard let items = try reader.list(node, "requires.signatures") else { return [] }
        var result: [SignatureDraft] = []
        for item in items {
            guard let fields = try reader.fields(item, "a signature", owner: NodeReader.position(item),
                                                 allowed: Self.signatureKeys, required: ["role", "meaning"])
            else { continue }
            var meaning: SignatureMeaning?
            if let node = fields["meaning"], let text = try reader.text(node, "meaning") {
                meaning = SignatureMeaning(rawValue: text.value)
                if meaning == nil {
                    reader.sink.error(text.at, "unknown signature meaning '\(text.value)'; expected approved, reviewed, authored or responsible")
                }
            }
            var count = 1
            if let node = fields["count"] { count = try reader.positiveInteger(node, "count") ?? 1 }
            if let node = fields["role"], let role = try reader.text(node, "role name") {
                result.append(SignatureDraft(role: role, meaning: meaning, count: count))
            }
        }
        return result
    }
}
