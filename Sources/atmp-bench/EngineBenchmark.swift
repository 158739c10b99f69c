import AuditLog
import CaseEngine
import Workflow

/// decide + seal (canonical JSON, SHA-256) + evolve, on one thread.
///
/// The workload cycles 1,000 cases (fewer below 10,000 events) through a
/// two-state loop with a document, a signature, two advances and a note per
/// cycle, so every kind of rule check and every common event kind is
/// exercised. Each case is owned by the benchmark and evolved in place, as a
/// store holding the case would do.
enum EngineBenchmark {
    static let template = Template(
        name: "bench-loop", title: "Benchmark loop",
        roles: [Role(name: "author", title: "Author"), Role(name: "qa", title: "Quality assurance")],
        openRoles: ["author"],
        attributes: [AttributeSpec(name: "sponsor", title: "Sponsor", required: true)],
        documents: [DocumentKind(name: "report", title: "Report")],
        stages: [Stage(name: "work", title: "Work"), Stage(name: "end", title: "End")],
        clocks: [ClockSpec(name: "review", title: "Review", days: 30)],
        initial: "drafting",
        states: [
            State(name: "drafting", stage: "work", title: "Drafting", deadline: .days(90), transitions: [
                Transition(name: "submit", to: "review", roles: ["author"],
                           documents: [DocumentRequirement(kind: "report", sinceEntry: true)]),
                Transition(name: "close", to: "closed", roles: ["author"], reason: .required),
            ]),
            State(name: "review", stage: "work", title: "Review", clockEffects: [ClockEffect(.start, "review")],
                  transitions: [
                      Transition(name: "return", to: "drafting", roles: ["author"],
                                 signatures: [SignatureRequirement(role: "qa", meaning: .reviewed)]),
                  ]),
            State(name: "closed", stage: "end", title: "Closed", isFinal: true, outcome: "closed"),
        ]
    )

    struct Result {
        var events = 0
        var seconds = 0.0
        var eventsPerSecond: Double { Double(events) / seconds }
    }

    /// Time spent in each phase, measured in a separate run (reading the clock
    /// around every call costs a little, so the headline run does not).
    struct Phases {
        var events = 0
        var decide = 0.0, seal = 0.0, evolve = 0.0
        func microsPerEvent(_ seconds: Double) -> Double { seconds * 1e6 / Double(events) }
    }

    static func run(events target: Int) -> Result {
        var phases: Phases?
        return run(events: target, phases: &phases)
    }

    static func runPhases(events target: Int) -> Phases {
        var phases: Phases? = Phases()
        _ = run(events: target, phases: &phases)
        return phases!
    }

    private static func run(events target: Int, phases: inout Phases?) -> Result {
        let author = Principal(name: "alice", roles: ["author"])
        let reviewer = Principal(name: "bob", roles: ["qa"])
        // 1,000 cases, fewer for tiny (smoke) runs so that opening them does not use up the events.
        let caseCount = min(1_000, max(1, target / 10))
        var now = Timestamp(seconds: 1_800_000_000)
        var cases: [Case] = []
        cases.reserveCapacity(caseCount)
        var events = 0
        let timed = phases != nil
        var decideTime: UInt64 = 0, sealTime: UInt64 = 0, evolveTime: UInt64 = 0

        func decide(_ command: CaseCommand, on current: Case?, by principal: Principal) -> [CaseEvent] {
            now = now.adding(microseconds: 1)
            let start = timed ? Stopwatch.ticks() : 0
            let result = CaseEngine.decide(command, on: current, template: template, by: principal, at: now)
            if timed { decideTime += Stopwatch.ticks() - start }
            switch result {
            case .failure(let rejection): fatalError("benchmark workload rejected: \(rejection)")
            case .success(let decided): return decided
            }
        }

        func seal(_ event: CaseEvent, on current: Case?, id: String) -> AuditEvent {
            let start = timed ? Stopwatch.ticks() : 0
            let sealed = event.sealed(chain: id, seq: (current?.version ?? 0) + 1,
                                      prev: current?.head ?? AuditEvent.genesisPrev)
            if timed { sealTime += Stopwatch.ticks() - start }
            events += 1
            return sealed
        }

        /// Decides a command on a case the benchmark owns and applies its events in place.
        func apply(_ command: CaseCommand, to current: inout Case, by principal: Principal) {
            for event in decide(command, on: current, by: principal) {
                let sealed = seal(event, on: current, id: current.id)
                let start = timed ? Stopwatch.ticks() : 0
                CaseEngine.evolve(&current, event, seq: sealed.seq, hash: sealed.hash, template: template)
                if timed { evolveTime += Stopwatch.ticks() - start }
            }
        }

        let watch = Stopwatch()
        for i in 0..<caseCount {
            let id = "C-\(i)"
            let opened = decide(.open(OpenCase(id: id, templateVersion: 1, title: "Case \(i)",
                                               attributes: ["sponsor": "Sponsor AB"])), on: nil, by: author)
            var current: Case?
            for event in opened {
                let sealed = seal(event, on: current, id: id)
                current = CaseEngine.evolve(current, event, caseID: id, seq: sealed.seq, hash: sealed.hash,
                                            template: template)
            }
            cases.append(current!)
        }
        let digest = String(repeating: "ab", count: 32)
        var i = 0
        while events < target {
            let index = i % caseCount
            apply(.attach(Attachment(kind: "report", sha256: digest, uri: "dms://report/\(i)", title: "Report")),
                  to: &cases[index], by: author)
            apply(.advance(transition: "submit", reason: nil), to: &cases[index], by: author)
            apply(.sign(transition: "return", meaning: "reviewed", reason: "Checked"), to: &cases[index], by: reviewer)
            apply(.advance(transition: "return", reason: "More work"), to: &cases[index], by: author)
            apply(.note(text: "Cycle \(i) done"), to: &cases[index], by: author)
            i += 1
        }
        let seconds = watch.seconds
        if timed {
            phases = Phases(events: events, decide: Double(decideTime) / 1e9, seal: Double(sealTime) / 1e9,
                            evolve: Double(evolveTime) / 1e9)
        }
        return Result(events: events, seconds: seconds)
    }
}
