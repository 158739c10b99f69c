import CaseEngine
import ControlProtocol
import Storage

/// A command that ends in an error reply. Handlers throw it; `handle` turns it
/// into the outcome. Carries an `Outcome` rather than a bare error so that
/// records (`553-missing …`) and connection effects (delay, close) travel with it.
struct ServiceFailure: Error {
    var outcome: Outcome

    init(_ error: ProtocolError, records: [ReplyRecord] = [], delay: Duration? = nil, close: Bool = false) {
        outcome = Outcome(.error(error, records: records), delay: delay, close: close)
    }

    static func badArgument(_ message: String) -> ServiceFailure { .init(.badArgument(message)) }
    static func notFound(_ message: String) -> ServiceFailure { .init(.notFound(message)) }
    static func forbidden(_ message: String) -> ServiceFailure { .init(.forbidden(message)) }
    static func badSequence(_ message: String) -> ServiceFailure { .init(.badSequence(message)) }
}

// MARK: - The engine's rejections

extension ServiceFailure {
    /// `CaseRejection.Code` → reply code; unmet requirements become one
    /// `553-missing` record each, in template order.
    init(_ rejection: CaseRejection) {
        switch rejection.code {
        case .notFound: self.init(.notFound(rejection.message))
        case .forbidden: self.init(.forbidden(rejection.message))
        case .notAllowedNow: self.init(.notAllowedNow(rejection.message))
        case .requirementsUnmet:
            self.init(.requirementsUnmet(rejection.message), records: rejection.missing.map(\.record))
        default: self.init(.badArgument(rejection.message))
        }
    }
}

extension MissingRequirement {
    /// `missing kind=document document=KIND [since=entry]`,
    /// `missing kind=signature role= meaning= needed= have=`,
    /// `missing kind=attribute attribute= allowed="a,b" [actual=]` (no `actual` when unset).
    var record: ReplyRecord {
        switch self {
        case .document(let kind, let sinceEntry):
            var fields = [Field("kind", "document"), Field("document", kind)]
            if sinceEntry { fields.append(Field("since", "entry")) }
            return ReplyRecord("missing", fields: fields)
        case .signature(let role, let meaning, let needed, let have):
            return ReplyRecord("missing", fields: [
                Field("kind", "signature"), Field("role", role), Field("meaning", meaning.rawValue),
                Field("needed", String(needed)), Field("have", String(have)),
            ])
        case .attribute(let name, let allowed, let actual):
            var fields = [Field("kind", "attribute"), Field("attribute", name),
                          Field("allowed", allowed.joined(separator: ","))]
            if let actual { fields.append(Field("actual", actual)) }
            return ReplyRecord("missing", fields: fields)
        }
    }

    /// Short text for the `missing="…"` field of a `next` record.
    var summary: String {
        switch self {
        case .document(let kind, let sinceEntry): return "document:\(kind)" + (sinceEntry ? "(since entry)" : "")
        case .signature(let role, let meaning, let needed, let have):
            return "signature:\(role)/\(meaning.rawValue)(\(have)/\(needed))"
        case .attribute(let name, let allowed, _): return "attribute:\(name)=\(allowed.joined(separator: "|"))"
        }
    }
}

// MARK: - Storage failures

extension ServiceFailure {
    /// `StoreError` → reply. Constraint, corrupt and other failures are bugs or
    /// tampering, not the user's doing: they answer 451 (nothing was written,
    /// every store call is one transaction) and are logged at error level by
    /// `CommandService.storeCall`.
    init(_ error: StoreError) {
        switch error.code {
        case .conflict: self.init(.versionConflict(error.message))
        case .notFound: self.init(.notFound(error.message))
        case .unavailable: self.init(.storageUnavailable(error.message))
        default: self.init(.storageUnavailable("storage failure (\(error.code)); nothing was written"))
        }
    }
}
