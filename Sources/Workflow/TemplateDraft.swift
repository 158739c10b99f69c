/// The template as written, before its references are checked: the same
/// shape as `Template`, but every name keeps its position so the checks can
/// point at it, and parts that failed to read are simply absent.
struct TemplateDraft {
    var rootAt: Position = .start
    var name: Located<String>?
    var title: String?
    var description: String?
    var roles: [NamedTitle] = []
    var openRoles: [Located<String>]?
    var attributes: [AttributeDraft] = []
    var documents: [NamedTitle] = []
    var stages: [NamedTitle] = []
    var clocks: [ClockDraft] = []
    var initial: Located<String>?
    /// Where `states:` was written, for template-wide graph errors.
    var statesAt: Position?
    var states: [StateDraft] = []
}

struct NamedTitle {
    var name: Located<String>
    var title: String
}

struct AttributeDraft {
    var name: Located<String>
    var title: String?
    var required = false
    var values: [Located<String>]?
}

struct ClockDraft {
    var name: Located<String>
    var title: String?
    var days: Int?
}

struct StateDraft {
    var name: Located<String>
    var stage: Located<String>?
    var title: String?
    var deadline: TemplateDuration?
    var clockEffects: [ClockEffectDraft] = []
    var isFinal = false
    var outcome: String?
    /// Where `transitions:` was written (to flag it on a final state).
    var transitionsAt: Position?
    var transitions: [TransitionDraft] = []
}

struct ClockEffectDraft {
    var action: ClockEffect.Action
    var clock: Located<String>
}

struct TransitionDraft {
    var name: Located<String>
    var to: Located<String>?
    var title: String?
    var roles: [Located<String>] = []
    var when: [ConditionDraft] = []
    var documents: [DocumentRequirementDraft] = []
    var signatures: [SignatureDraft] = []
    var reason: Transition.ReasonPolicy = .optional
}

struct ConditionDraft {
    var attribute: Located<String>
    var values: [Located<String>]
}

struct DocumentRequirementDraft {
    var kind: Located<String>
    var sinceEntry: Bool
}

struct SignatureDraft {
    var role: Located<String>
    var meaning: SignatureMeaning?
    var count: Int
}
