import AuditLog
import Workflow

/// The outcome of checking a transition's requirements against a case.
struct RequirementCheck {
    /// Every unmet requirement, in template order: `when`, documents, signatures.
    var missing: [MissingRequirement] = []
    /// True when the firer had signed a signature requirement that is still unmet:
    /// their own signature was left out, and the message says so.
    var discountedFirerSignature = false
    var firer: String?

    func rejection(transition: String) -> CaseRejection {
        var message = "transition \(transition) is missing: "
        message += missing.map(\.description).joined(separator: "; ")
        if discountedFirerSignature, let firer {
            message += " (the signature of \(firer) was not counted: whoever fires a transition cannot be one of its signers)"
        }
        return CaseRejection(.requirementsUnmet, message, missing: missing)
    }
}

extension CaseEngine {
    /// Checks a transition's requirements on the case as it stands.
    ///
    /// - `when`: each attribute is set and holds one of the listed values.
    /// - documents: the latest attachment of the kind counts; with `since: entry`
    ///   it must have been made during the current stay (`seq > enteredSeq`).
    /// - signatures: distinct signers, holding the role, with the meaning, on this
    ///   transition, in the current stay — not counting `firer` (separation of
    ///   duties). `firer` nil counts everyone (what anyone could fire).
    static func requirements(of transition: Transition, on current: Case, firer: String?) -> RequirementCheck {
        var check = RequirementCheck(firer: firer)
        for condition in transition.when {
            let actual = current.attributes[condition.attribute]
            if actual == nil || !condition.values.contains(actual!) {
                check.missing.append(.attribute(name: condition.attribute, allowed: condition.values, actual: actual))
            }
        }
        for document in transition.documents {
            guard let attached = current.documents[document.kind] else {
                check.missing.append(.document(kind: document.kind, sinceEntry: document.sinceEntry))
                continue
            }
            if document.sinceEntry && attached.seq <= current.enteredSeq {
                check.missing.append(.document(kind: document.kind, sinceEntry: true))
            }
        }
        for requirement in transition.signatures {
            let (have, firerSigned) = signers(
                for: requirement, on: transition.name, in: current.signatures, excluding: firer)
            if have < requirement.count {
                check.missing.append(.signature(
                    role: requirement.role, meaning: requirement.meaning, needed: requirement.count, have: have))
                if firerSigned { check.discountedFirerSignature = true }
            }
        }
        return check
    }

    /// Distinct signers of `requirement` on `transition` among `signatures`
    /// (the current stay), leaving out `excluded`; and whether `excluded` had signed.
    static func signers(
        for requirement: SignatureRequirement, on transition: String, in signatures: [AppliedSignature],
        excluding excluded: String?
    ) -> (count: Int, excludedSigned: Bool) {
        var seen: [String] = []
        var excludedSigned = false
        for signature in signatures
        where signature.transition == transition && signature.meaning == requirement.meaning
            && signature.role == requirement.role
        {
            if signature.signer == excluded {
                excludedSigned = true
            } else if !seen.contains(signature.signer) {
                seen.append(signature.signer)
            }
        }
        return (seen.count, excludedSigned)
    }
}

extension MissingRequirement: CustomStringConvertible {
    /// Short human text, also used for the `missing="…"` field of `next` records.
    public var description: String {
        switch self {
        case .document(let kind, let sinceEntry):
            return sinceEntry ? "document \(kind) (attached since entering the state)" : "document \(kind)"
        case .signature(let role, let meaning, let needed, let have):
            return "signature \(meaning.rawValue) by \(role) (\(have) of \(needed))"
        case .attribute(let name, let allowed, let actual):
            return "attribute \(name) must be \(allowed.joined(separator: " or ")) (is \(actual ?? "unset"))"
        }
    }
}
