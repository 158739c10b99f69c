/// A value read from the template together with where it was written.
struct Located<Value> {
    var value: Value
    var at: Position
}

extension Located: Equatable where Value: Equatable {}

/// Reads the YAML node tree with the expectations of the template schema,
/// turning every mismatch into a diagnostic and carrying on, so one run
/// reports every problem.
///
/// It also counts every node it visits: past `TemplateLimits.maxNodes` it
/// stops with `NodeBudgetExhausted`, so no input can make reading unbounded.
struct NodeReader {
    struct NodeBudgetExhausted: Error {
        var at: Position
    }

    var sink: DiagnosticSink
    private var remainingNodes: Int

    init(file: String, nodeBudget: Int = TemplateLimits.maxNodes) {
        self.sink = DiagnosticSink(file: file)
        self.remainingNodes = nodeBudget
    }

    static func position(_ node: YAMLNode) -> Position { node.at }

    private mutating func visit(_ node: YAMLNode) throws {
        remainingNodes -= 1
        if remainingNodes < 0 { throw NodeBudgetExhausted(at: Self.position(node)) }
    }

    // MARK: Scalars

    /// YAML 1.2 core schema null: a plain `~`, `null` (any common case) or nothing.
    static func isNull(_ node: YAMLNode) -> Bool {
        guard case let .scalar(scalar) = node, scalar.isPlain else { return false }
        switch scalar.text {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    /// What a node is, in words, for "expected X, found Y" messages.
    static func kind(_ node: YAMLNode) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar: return isNull(node) ? "nothing" : "text"
        }
    }

    /// Free text: titles, descriptions, outcomes.
    mutating func text(_ node: YAMLNode, _ what: String) throws -> Located<String>? {
        try visit(node)
        guard case let .scalar(scalar) = node, !Self.isNull(node) else {
            sink.error(Self.position(node), "\(what) must be text, found \(Self.kind(node))")
            return nil
        }
        return Located(value: scalar.text, at: Self.position(node))
    }

    /// A name that must follow the naming rule (a state, role, … written as a value).
    mutating func name(_ node: YAMLNode, _ what: String) throws -> Located<String>? {
        guard let text = try text(node, what) else { return nil }
        checkName(text, what)
        return text
    }

    mutating func checkName(_ name: Located<String>, _ what: String) {
        if !Name.isValid(name.value) {
            sink.error(name.at, "bad \(what) '\(name.value)': \(Name.rule)")
        }
    }

    mutating func bool(_ node: YAMLNode, _ what: String) throws -> Bool? {
        try visit(node)
        if case let .scalar(scalar) = node, scalar.isPlain {
            switch scalar.text {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        sink.error(Self.position(node), "\(what) must be true or false, found \(Self.describe(node))")
        return nil
    }

    /// A whole number above zero, written in plain decimal digits.
    mutating func positiveInteger(_ node: YAMLNode, _ what: String) throws -> Int? {
        try visit(node)
        if case let .scalar(scalar) = node, scalar.isPlain,
           scalar.text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
           let number = Int(scalar.text), number > 0 {
            return number
        }
        sink.error(Self.position(node), "\(what) must be a positive whole number, found \(Self.describe(node))")
        return nil
    }

    static func describe(_ node: YAMLNode) -> String {
        if case let .scalar(scalar) = node, !isNull(node) { return "'\(scalar.text)'" }
        return kind(node)
    }

    // MARK: Collections

    mutating func list(_ node: YAMLNode, _ what: String) throws -> [YAMLNode]? {
        try visit(node)
        guard case let .sequence(sequence) = node else {
            sink.error(Self.position(node), "\(what) must be a list, found \(Self.kind(node))")
            return nil
        }
        return sequence.items
    }

    /// The pairs of a mapping whose keys are text; a non-text key is reported and skipped.
    mutating func pairs(_ node: YAMLNode, _ what: String) throws -> [(key: Located<String>, value: YAMLNode)]? {
        try visit(node)
        guard case let .mapping(mapping) = node else {
            sink.error(Self.position(node), "\(what) must be a mapping, found \(Self.kind(node))")
            return nil
        }
        var result: [(key: Located<String>, value: YAMLNode)] = []
        result.reserveCapacity(mapping.pairs.count)
        for pair in mapping.pairs {
            let key = pair.key, value = pair.value
            try visit(key)
            guard case let .scalar(scalar) = key else {
                sink.error(Self.position(key), "keys in \(what) must be text, found \(Self.kind(key))")
                continue
            }
            result.append((Located(value: scalar.text, at: Self.position(key)), value))
        }
        return result
    }

    /// A mapping from names to entries (roles, states, transitions, …); each name is checked.
    mutating func namedEntries(_ node: YAMLNode, _ what: String, entry: String) throws -> [(key: Located<String>, value: YAMLNode)]? {
        guard let pairs = try pairs(node, what) else { return nil }
        for pair in pairs { checkName(pair.key, "\(entry) name") }
        return pairs
    }

    /// A mapping with a fixed set of keys. Unknown keys are reported at the key
    /// (with a suggestion for likely typos); missing required keys at `owner`,
    /// the key or item that holds the mapping.
    mutating func fields(
        _ node: YAMLNode, _ what: String, owner: Position,
        allowed: [String], required: [String] = []
    ) throws -> Fields? {
        try visit(node)
        guard case let .mapping(mapping) = node else {
            sink.error(Self.position(node), "\(what) must be a mapping, found \(Self.kind(node))")
            return nil
        }
        var fields = Fields()
        for pair in mapping.pairs {
            let key = pair.key, value = pair.value
            try visit(key)
            guard case let .scalar(scalar) = key else {
                sink.error(Self.position(key), "keys in \(what) must be text, found \(Self.kind(key))")
                continue
            }
            let name = scalar.text
            if allowed.contains(name) {
                fields.entries.append((name, Self.position(key), value))
            } else {
                var message = "unknown key '\(name)' in \(what)"
                if let guess = Name.closest(to: name, among: allowed) {
                    message += "; did you mean '\(guess)'?"
                } else {
                    message += "; expected one of: \(allowed.joined(separator: ", "))"
                }
                sink.error(Self.position(key), message)
            }
        }
        for key in required where fields[key] == nil {
            sink.error(owner, "missing required key '\(key)' in \(what)")
        }
        return fields
    }

    /// The known keys of a mapping. A handful at most, so a list beats a dictionary.
    struct Fields {
        var entries: [(name: String, key: Position, value: YAMLNode)] = []
        subscript(_ key: String) -> YAMLNode? { entries.first { $0.name == key }?.value }
        func keyPosition(_ key: String) -> Position? { entries.first { $0.name == key }?.key }
    }
}
