/// A storage failure, in the terms the daemon answers with.
///
/// Shaped like swift-service-lifecycle's errors: a struct with an extensible
/// `Code`. Whatever the code, a failed write has left nothing behind: every
/// change is one transaction.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let value: String
        private init(_ value: String) { self.value = value }
        public var description: String { value }

        /// Someone else changed the same thing first (a case version, a unique
        /// name); nothing was written. Re-read and retry. Protocol 450.
        public static let conflict = Code("conflict")
        /// The database cannot be reached or failed mid-way; nothing was written. Protocol 451.
        public static let unavailable = Code("unavailable")
        /// The thing asked for does not exist. Protocol 550.
        public static let notFound = Code("not-found")
        /// The database refused the write by a rule of the schema (for example
        /// the append-only triggers). A bug or tampering, never a user error.
        public static let constraint = Code("constraint")
        /// Stored data could not be read back (corrupt row, unknown format).
        public static let corrupt = Code("corrupt")
        /// Anything else: a bug in the SQL, a misconfiguration.
        public static let failure = Code("failure")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
