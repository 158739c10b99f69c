import Workflow

/// Why the engine refused a command. Nothing was changed.
///
/// Shaped like swift-service-lifecycle's errors: a struct with an extensible
/// `Code` (which the daemon maps to a protocol reply code) and the details a
/// person needs to fix the problem.
public struct CaseRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let value: String
        private init(_ value: String) { self.value = value }
        public var description: String { value }

        /// A named transition, attribute value, etc. does not exist (protocol 550 `not-found`).
        public static let notFound = Code("not-found")
        /// The user's roles do not allow it (551 `forbidden`).
        public static let forbidden = Code("forbidden")
        /// The case is final, on hold, or otherwise not in a state that allows it (552 `not-allowed-now`).
        public static let notAllowedNow = Code("not-allowed-now")
        /// Documents, signatures or attribute conditions missing (553 `requirements-unmet`); see `missing`.
        public static let requirementsUnmet = Code("requirements-unmet")
        /// An argument is missing or malformed: reason required, unknown attribute, bad value (501 `bad-argument`).
        public static let badArgument = Code("bad-argument")
    }

    public var code: Code
    /// Human text: what is wrong and, where possible, how to fix it.
    public var message: String
    /// For `requirementsUnmet`: one entry per missing item, in template order.
    public var missing: [MissingRequirement]

    public init(_ code: Code, _ message: String, missing: [MissingRequirement] = []) {
        self.code = code; self.message = message; self.missing = missing
    }

    public var description: String { "\(code): \(message)" }
}

/// One unmet requirement of a transition.
public enum MissingRequirement: Sendable, Equatable {
    /// No attachment of `kind` (or none during the current stay when `sinceEntry`).
    case document(kind: String, sinceEntry: Bool)
    /// `needed` distinct signers holding `role` with `meaning`; `have` counted so far.
    case signature(role: String, meaning: SignatureMeaning, needed: Int, have: Int)
    /// The attribute must hold one of `allowed`; `actual` is its value (nil when unset).
    case attribute(name: String, allowed: [String], actual: String?)
}
