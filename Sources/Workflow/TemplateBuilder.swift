/// Builds the `Template` model from a draft that passed every check, so
/// each optional part it unwraps is known to be present.
enum TemplateBuilder {
    static func build(_ draft: TemplateDraft) -> Template {
        Template(
            name: draft.name?.value ?? "",
            title: draft.title,
            description: draft.description,
            roles: draft.roles.map { Role(name: $0.name.value, title: $0.title) },
            openRoles: draft.openRoles?.map(\.value),
            attributes: draft.attributes.map {
                AttributeSpec(name: $0.name.value, title: $0.title, required: $0.required, values: $0.values?.map(\.value))
            },
            documents: draft.documents.map { DocumentKind(name: $0.name.value, title: $0.title) },
            stages: draft.stages.map { Stage(name: $0.name.value, title: $0.title) },
            clocks: draft.clocks.map { ClockSpec(name: $0.name.value, title: $0.title, days: $0.days ?? 0) },
            initial: draft.initial?.value ?? "",
            states: draft.states.map(state)
        )
    }

    private static func state(_ draft: StateDraft) -> State {
        State(
            name: draft.name.value,
            stage: draft.stage?.value ?? "",
            title: draft.title,
            deadline: draft.deadline,
            clockEffects: draft.clockEffects.map { ClockEffect($0.action, $0.clock.value) },
            isFinal: draft.isFinal,
            outcome: draft.outcome,
            transitions: draft.transitions.map(transition)
        )
    }

    private static func transition(_ draft: TransitionDraft) -> Transition {
        Transition(
            name: draft.name.value,
            to: draft.to?.value ?? "",
            title: draft.title,
            roles: draft.roles.map(\.value),
            when: draft.when.map { AttributeCondition(attribute: $0.attribute.value, values: $0.values.map(\.value)) },
            documents: draft.documents.map { DocumentRequirement(kind: $0.kind.value, sinceEntry: $0.sinceEntry) },
            signatures: draft.signatures.compactMap { signature in
                signature.meaning.map { SignatureRequirement(role: signature.role.value, meaning: $0, count: signature.count) }
            },
            reason: draft.reason
        )
    }
}
