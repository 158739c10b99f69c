import AuditLog
import CaseEngine
import Storage
import Workflow

/// Drives one generated case through its template with the real engine:
/// each step is `decide` (as the daemon would), `sealed` onto the chain and
/// `evolve`d, so chains, heads and projections are exactly what atmpd would
/// have stored for the same commands. Overdue conditions are raised at every
/// step and once more at `now`, as the daemon's clock would have done, so a
/// freshly generated database has no backlog for atmpd to work through.
///
/// The walk is a seeded random choice among the transitions out of the
/// current state; whatever a chosen transition still lacks (an attribute
/// value, a document, a signature) is supplied first, one command at a time.
/// The same number and seed always give the same case.
struct CaseWalker {
    let template: Template
    let templateVersion: Int
    /// Fires every transition: it holds every role of the template.
    let lead: Principal
    /// The generation's wall clock: nothing is stamped later than this.
    let now: Timestamp

    init(template: Template, version: Int, now: Timestamp) {
        self.template = template
        self.templateVersion = version
        self.lead = Principal(name: "lead", roles: Set(template.roles.map(\.name)))
        self.now = now
    }

    struct Walked {
        var stored: StoredCase
        var events: [AuditEvent]
    }

    /// At least `events` events (more only when overdue events fall due at
    /// the end); the first event at `opened`, steps one hour to three days apart.
    func walk(id: String, number: Int64, events target: Int, opened: Timestamp, seed: UInt64) -> Walked {
        var rng = SplitMix64(seed: seed ^ UInt64(bitPattern: number))
        var current: Case?
        var sealed: [AuditEvent] = []
        sealed.reserveCapacity(target + 2)
        var at = opened

        func append(_ decided: [CaseEvent]) {
            for event in decided {
                let audit = event.sealed(chain: id, seq: (current?.version ?? 0) + 1,
                                         prev: current?.head ?? AuditEvent.genesisPrev)
                current = CaseEngine.evolve(current, event, caseID: id, seq: audit.seq, hash: audit.hash,
                                            template: template)
                sealed.append(audit)
            }
        }
        /// Decides one command at the next step's time; false when refused.
        func attempt(_ command: CaseCommand, by principal: Principal) -> Bool {
            if let c = current { append(CaseEngine.overdue(c, template: template, at: at)) }
            switch CaseEngine.decide(command, on: current, template: template, by: principal, at: at) {
            case .success(let decided): append(decided)
            case .failure: return false
            }
            at = at.adding(seconds: 3_600 + Int64(rng.next() % (3 * 86_400)))
            return true
        }

        var attributes: [String: String] = [:]
        for spec in template.attributes where spec.required {
            if let values = spec.values, !values.isEmpty {
                attributes[spec.name] = values[Int(rng.next() % UInt64(values.count))]
            } else {
                attributes[spec.name] = "\(spec.name) \(number % 97)"
            }
        }
        let open = OpenCase(id: id, templateVersion: templateVersion, title: "Generated case \(number)",
                            attributes: attributes)
        guard attempt(.open(open), by: lead) else { fatalError("\(template.name): the generated open was refused") }

        // About one case in twenty ends on hold, so hold=true lists something.
        let endsOnHold = rng.next() % 20 == 0
        var goal: String?
        while sealed.count < target {
            let c = current!
            let remaining = target - sealed.count
            if remaining == 1, endsOnHold, !c.isFinal, c.hold == nil,
                attempt(.hold(reason: "Waiting for the sponsor"), by: lead)
            {
                continue
            }
            let steps = CaseEngine.next(c, template: template, for: nil)
            if goal == nil || !steps.contains(where: { $0.transition == goal }), !steps.isEmpty {
                goal = steps[Int(rng.next() % UInt64(steps.count))].transition
            }
            guard let step = steps.first(where: { $0.transition == goal }), c.hold == nil else {
                if !attempt(.note(text: "Progress note \(sealed.count)"), by: lead) { break }
                continue
            }
            let done: Bool
            switch step.missing.first {
            case .attribute(let name, let allowed, _)?:
                done = allowed.first.map { attempt(.setAttributes([name: $0], reason: "Set for \(step.transition)"), by: lead) } ?? false
            case .document(let kind, _)?:
                let digest = SplitMix64.hex(&rng)
                done = attempt(.attach(Attachment(kind: kind, sha256: digest, uri: "dms://generated/\(id)/\(sealed.count)")),
                               by: lead)
            case .signature(let role, let meaning, _, _)?:
                // A new signer each time: distinct signers, never the firer.
                let signer = Principal(name: "\(role)-\(sealed.count)", roles: [role])
                done = attempt(.sign(transition: step.transition, meaning: meaning.rawValue, reason: nil), by: signer)
            case nil:
                done = attempt(.advance(transition: step.transition, reason: step.reasonRequired ? "Generated" : nil),
                               by: lead)
                goal = nil
            }
            if !done {
                goal = nil
                if !attempt(.note(text: "Progress note \(sealed.count)"), by: lead) { break }
            }
        }
        append(CaseEngine.overdue(current!, template: template, at: max(at, now)))
        let after = current!
        let schedule = CaseEngine.overdueSchedule(after, template: template)
        return Walked(stored: StoredCase(case: after, overdueAt: schedule.overdueAt, alarmAt: schedule.alarmAt),
                      events: sealed)
    }
}

/// A small, fast, seedable generator (SplitMix64): the data must be the same
/// for the same seed, whatever thread makes it.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 64 lowercase hex digits, shaped like a SHA-256 digest.
    static func hex(_ rng: inout SplitMix64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for _ in 0..<4 {
            var word = rng.next()
            for _ in 0..<16 {
                bytes.append(digits[Int(word & 0xF)])
                word >>= 4
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
