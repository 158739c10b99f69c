/// Checks what a template means once its shape is read: every name it refers
/// to is declared, `when` values are allowed, roles are template roles, and
/// declared roles and documents are used. The graph rules live in
/// `TemplateChecker+Graph.swift`.
struct TemplateChecker {
    let draft: TemplateDraft
    var sink: DiagnosticSink

    // Declarations by name, so every lookup is O(1) on large templates.
    let roles: Set<String>
    let documents: Set<String>
    let stages: Set<String>
    let clocks: Set<String>
    let attributes: [String: AttributeDraft]
    let stateIndex: [String: Int]

    init(draft: TemplateDraft, sink: DiagnosticSink) {
        self.draft = draft
        self.sink = sink
        roles = Set(draft.roles.map(\.name.value))
        documents = Set(draft.documents.map(\.name.value))
        stages = Set(draft.stages.map(\.name.value))
        clocks = Set(draft.clocks.map(\.name.value))
        attributes = Dictionary(draft.attributes.map { ($0.name.value, $0) }, uniquingKeysWith: { a, _ in a })
        stateIndex = Dictionary(draft.states.enumerated().map { ($1.name.value, $0) }, uniquingKeysWith: { a, _ in a })
    }

    mutating func check() {
        checkDeclarations()
        checkReferences()
        checkUsage()
        checkGraph()
        checkClocks()
    }

    private mutating func checkDeclarations() {
        for role in draft.roles where SystemRole.all.contains(role.name.value) {
            sink.error(role.name.at, "'\(role.name.value)' is a reserved system role; choose another name")
        }
    }

    private mutating func checkReferences() {
        for role in draft.openRoles ?? [] { checkRole(role) }
        if let initial = draft.initial, stateIndex[initial.value] == nil {
            sink.error(initial.at, "undeclared state '\(initial.value)' as initial state")
        }
        for state in draft.states {
            if let stage = state.stage, !stages.contains(stage.value) {
                sink.error(stage.at, "undeclared stage '\(stage.value)'")
            }
            for effect in state.clockEffects where !clocks.contains(effect.clock.value) {
                sink.error(effect.clock.at, "undeclared clock '\(effect.clock.value)'")
            }
            if state.title == nil {
                sink.warning(state.name.at, "state '\(state.name.value)' has no title")
            }
            for transition in state.transitions { checkReferences(in: transition) }
        }
    }

    private mutating func checkReferences(in transition: TransitionDraft) {
        if let to = transition.to, stateIndex[to.value] == nil {
            sink.error(to.at, "undeclared state '\(to.value)'")
        }
        for role in transition.roles { checkRole(role) }
        for condition in transition.when {
            guard let attribute = attributes[condition.attribute.value] else {
                sink.error(condition.attribute.at, "undeclared attribute '\(condition.attribute.value)'")
                continue
            }
            guard let allowed = attribute.values.map({ Set($0.map(\.value)) }) else { continue }
            for value in condition.values where !allowed.contains(value.value) {
                sink.error(value.at, "'\(value.value)' is not a value of attribute '\(condition.attribute.value)'")
            }
        }
        for document in transition.documents where !documents.contains(document.kind.value) {
            sink.error(document.kind.at, "undeclared document '\(document.kind.value)'")
        }
        for signature in transition.signatures { checkRole(signature.role) }
    }

    private mutating func checkRole(_ role: Located<String>) {
        if roles.contains(role.value) { return }
        if SystemRole.all.contains(role.value) {
            sink.error(role.at, "'\(role.value)' is a system role; templates grant only their own roles")
        } else {
            sink.error(role.at, "undeclared role '\(role.value)'")
        }
    }

    /// Warns about roles and documents that are declared but never used.
    private mutating func checkUsage() {
        var usedRoles = Set((draft.openRoles ?? []).map(\.value))
        var usedDocuments = Set<String>()
        for state in draft.states {
            for transition in state.transitions {
                usedRoles.formUnion(transition.roles.map(\.value))
                usedRoles.formUnion(transition.signatures.map(\.role.value))
                usedDocuments.formUnion(transition.documents.map(\.kind.value))
            }
        }
        for role in draft.roles where !usedRoles.contains(role.name.value) && !SystemRole.all.contains(role.name.value) {
            sink.warning(role.name.at, "role '\(role.name.value)' is declared but no transition or signature uses it")
        }
        for document in draft.documents where !usedDocuments.contains(document.name.value) {
            sink.warning(document.name.at, "document '\(document.name.value)' is declared but no transition requires it")
        }
    }
}
