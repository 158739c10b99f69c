/// A validated workflow template: the rules of one kind of development case.
///
/// A `Template` is only ever built by `TemplateLoader` after validation passed,
/// so every reference in it (states, roles, documents, stages, clocks,
/// attributes) is known to resolve. Collections keep the order of the YAML
/// file, because people read them in that order (graphs, `CASE SHOW`).
public struct Template: Sendable, Equatable {
    public var name: String
    public var title: String?
    public var description: String?
    /// Template roles in file order. The system roles `admin` and `regulator` are not listed.
    public var roles: [Role]
    /// Roles allowed to open a case; defaults to every template role.
    public var openRoles: [String]
    public var attributes: [AttributeSpec]
    public var documents: [DocumentKind]
    public var stages: [Stage]
    public var clocks: [ClockSpec]
    public var initial: String
    public var states: [State]

    /// Index of `states` by name, so lookups stay O(1) on large templates.
    private var stateIndex: [String: Int]

    public init(
        name: String, title: String? = nil, description: String? = nil,
        roles: [Role], openRoles: [String]? = nil, attributes: [AttributeSpec] = [],
        documents: [DocumentKind] = [], stages: [Stage], clocks: [ClockSpec] = [],
        initial: String, states: [State]
    ) {
        self.name = name
        self.title = title
        self.description = description
        self.roles = roles
        self.openRoles = openRoles ?? roles.map(\.name)
        self.attributes = attributes
        self.documents = documents
        self.stages = stages
        self.clocks = clocks
        self.initial = initial
        self.states = states
        var index: [String: Int] = [:]
        for (i, state) in states.enumerated() { index[state.name] = i }
        self.stateIndex = index
    }

    public func state(_ name: String) -> State? {
        stateIndex[name].map { states[$0] }
    }

    public func attribute(_ name: String) -> AttributeSpec? { attributes.first { $0.name == name } }
    public func document(_ kind: String) -> DocumentKind? { documents.first { $0.name == kind } }
    public func stage(_ name: String) -> Stage? { stages.first { $0.name == name } }
    public func clock(_ name: String) -> ClockSpec? { clocks.first { $0.name == name } }
    public func hasRole(_ name: String) -> Bool { roles.contains { $0.name == name } }

    public static func == (lhs: Template, rhs: Template) -> Bool {
        lhs.name == rhs.name && lhs.title == rhs.title && lhs.description == rhs.description
            && lhs.roles == rhs.roles && lhs.openRoles == rhs.openRoles
            && lhs.attributes == rhs.attributes && lhs.documents == rhs.documents
            && lhs.stages == rhs.stages && lhs.clocks == rhs.clocks
            && lhs.initial == rhs.initial && lhs.states == rhs.states
    }
}

/// The roles every installation has, whatever its templates say.
public enum SystemRole {
    public static let admin = "admin"
    public static let regulator = "regulator"
    public static let all: Set<String> = [admin, regulator]
}

public struct Role: Sendable, Equatable {
    public var name: String
    public var title: String
    public init(name: String, title: String) { self.name = name; self.title = title }
}

public struct AttributeSpec: Sendable, Equatable {
    public var name: String
    public var title: String?
    public var required: Bool
    /// Allowed values; `nil` means free text.
    public var values: [String]?
    public init(name: String, title: String? = nil, required: Bool = false, values: [String]? = nil) {
        self.name = name; self.title = title; self.required = required; self.values = values
    }
}

public struct DocumentKind: Sendable, Equatable {
    public var name: String
    public var title: String
    public init(name: String, title: String) { self.name = name; self.title = title }
}

public struct Stage: Sendable, Equatable {
    public var name: String
    public var title: String
    public init(name: String, title: String) { self.name = name; self.title = title }
}

/// A named regulatory clock, e.g. the 210-day MAA assessment.
public struct ClockSpec: Sendable, Equatable {
    public var name: String
    public var title: String?
    /// Allowed running time in days; the clock is overdue past it.
    public var days: Int
    public init(name: String, title: String? = nil, days: Int) {
        self.name = name; self.title = title; self.days = days
    }
}

public struct State: Sendable, Equatable {
    public var name: String
    public var stage: String
    public var title: String?
    /// Time allowed in this state before the case is overdue.
    public var deadline: TemplateDuration?
    /// Clock effects applied, in file order, when a case enters this state.
    public var clockEffects: [ClockEffect]
    public var isFinal: Bool
    /// Free label for reporting (`approved`, `refused`, `in-use`, …); final states only by convention.
    public var outcome: String?
    public var transitions: [Transition]

    public init(
        name: String, stage: String, title: String? = nil, deadline: TemplateDuration? = nil,
        clockEffects: [ClockEffect] = [], isFinal: Bool = false, outcome: String? = nil,
        transitions: [Transition] = []
    ) {
        self.name = name; self.stage = stage; self.title = title; self.deadline = deadline
        self.clockEffects = clockEffects; self.isFinal = isFinal; self.outcome = outcome
        self.transitions = transitions
    }

    public func transition(_ name: String) -> Transition? { transitions.first { $0.name == name } }
}

public struct ClockEffect: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable {
        case start, pause, resume, stop
    }
    public var action: Action
    public var clock: String
    public init(_ action: Action, _ clock: String) { self.action = action; self.clock = clock }
}

public struct Transition: Sendable, Equatable {
    public enum ReasonPolicy: String, Sendable {
        case required, optional
    }
    public var name: String
    public var to: String
    public var title: String?
    /// Template roles allowed to fire it; never empty.
    public var roles: [String]
    /// Conditions on case attributes, in file order: each attribute must hold one of the values.
    public var when: [AttributeCondition]
    public var documents: [DocumentRequirement]
    public var signatures: [SignatureRequirement]
    public var reason: ReasonPolicy

    public init(
        name: String, to: String, title: String? = nil, roles: [String],
        when: [AttributeCondition] = [], documents: [DocumentRequirement] = [],
        signatures: [SignatureRequirement] = [], reason: ReasonPolicy = .optional
    ) {
        self.name = name; self.to = to; self.title = title; self.roles = roles; self.when = when
        self.documents = documents; self.signatures = signatures; self.reason = reason
    }
}

public struct AttributeCondition: Sendable, Equatable {
    public var attribute: String
    public var values: [String]
    public init(attribute: String, values: [String]) { self.attribute = attribute; self.values = values }
}

public struct DocumentRequirement: Sendable, Equatable {
    public var kind: String
    /// `since: entry`: only an attachment made during the current stay in the state counts.
    public var sinceEntry: Bool
    public init(kind: String, sinceEntry: Bool = false) { self.kind = kind; self.sinceEntry = sinceEntry }
}

/// The meanings of an electronic signature (21 CFR 11.50).
public enum SignatureMeaning: String, Sendable, CaseIterable, Equatable {
    case approved, reviewed, authored, responsible
}

public struct SignatureRequirement: Sendable, Equatable {
    public var role: String
    public var meaning: SignatureMeaning
    /// Distinct signers needed, each holding `role`.
    public var count: Int
    public init(role: String, meaning: SignatureMeaning, count: Int = 1) {
        self.role = role; self.meaning = meaning; self.count = count
    }
}

/// A span of calendar time written in a template: `Nd`, `Nh`, or ISO 8601 (`P45D`, `PT12H`).
public struct TemplateDuration: Sendable, Equatable, Hashable {
    public var seconds: Int64
    public init(seconds: Int64) { self.seconds = seconds }
    public static func days(_ n: Int64) -> TemplateDuration { .init(seconds: n * 86_400) }
    public static func hours(_ n: Int64) -> TemplateDuration { .init(seconds: n * 3_600) }
}
