/// One parsed request line: `[+]VERB [SUBVERB] positional… key=value…`.
public struct Request: Sendable, Hashable {
    /// The line started with `+`: a data block follows it.
    public var hasData: Bool
    /// One word, or two for grouped commands (`["TEMPLATE", "PUT"]`); upper-cased.
    public var verb: [String]
    /// Positional arguments, in order (they all come before the keyed ones).
    public var positional: [String]
    /// `key=value` arguments, in order; keys are unique and case-sensitive.
    public var keyed: [Field]

    public init(hasData: Bool = false, verb: [String], positional: [String] = [], keyed: [Field] = []) {
        self.hasData = hasData
        self.verb = verb
        self.positional = positional
        self.keyed = keyed
    }

    /// The verb as one string for command tables and messages: `"TEMPLATE PUT"`.
    public var command: String { verb.joined(separator: " ") }

    /// The value of a keyed argument.
    public subscript(key: String) -> String? { keyed[key] }
}
