/// One node of a YAML document, as the template loader reads it: just what
/// the template schema needs (text, its quoting style, order, position) and
/// nothing else — no tags, no anchors, no resolved types. Plain scalars are
/// resolved (null, booleans, integers) by `NodeReader`, which knows which type
/// each field expects.
///
/// Built by `YAMLComposer`; positions are 1-based line and column, columns
/// counting Unicode scalars as libyaml does.
enum YAMLNode: Sendable, Equatable {
    case scalar(YAMLScalar)
    case mapping(YAMLMapping)
    case sequence(YAMLSequence)

    /// Where the node starts in the text.
    var at: Position {
        switch self {
        case .scalar(let scalar): return scalar.at
        case .mapping(let mapping): return mapping.at
        case .sequence(let sequence): return sequence.at
        }
    }
}

struct YAMLScalar: Sendable, Equatable {
    /// How the scalar was written. Only plain scalars are resolved to null,
    /// booleans or numbers; quoted and block scalars are always text.
    enum Style: Sendable, Equatable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    var text: String
    var style: Style
    var at: Position

    var isPlain: Bool { style == .plain }
}

struct YAMLMapping: Sendable, Equatable {
    /// Key/value pairs in the order written. Keys are unique (the composer
    /// refuses duplicates).
    var pairs: [YAMLPair]
    var at: Position
}

struct YAMLPair: Sendable, Equatable {
    var key: YAMLNode
    var value: YAMLNode
}

struct YAMLSequence: Sendable, Equatable {
    var items: [YAMLNode]
    var at: Position
}
