import AuditLog
import CaseEngine
import Workflow

/// decide + seal (canonical JSON, SHA-256) + evolve, on one thread.
///
/// The workload cycles 1,000 cases through a two-state loop with a document,
/// a signature, two advances and a note per cycle, so every kind of rule check
/// and every common event kind is exercised.
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

    static func run(events target: Int) {
        let author = Principal(name: "alice", roles: ["author"])
        let reviewer = Principal(name: "bob", roles: ["qa"])
        let caseCount = 1_000
        var now = Timestamp(seconds: 1_800_000_000)
        var cases: [Case] = []
        cases.reserveCapacity(caseCount)
        var events = 0

        func apply(_ command: CaseCommand, to current: Case?, id: String, by principal: Principal) -> Case {
            now = now.adding(microseconds: 1)
            switch CaseEngine.decide(command, on: current, template: template, by: principal, at: now) {
            case .failure(let rejection):
                fatalError("benchmark workload rejected: \(rejection)")
            case .success(let decided):
                var state = current
                for event in decided {
                    let seq = (state?.version ?? 0) + 1
                    let sealed = AuditEvent.seal(event.record, chain: id, seq: seq,
                                                 prev: state?.head ?? AuditEvent.genesisPrev)
                    state = CaseEngine.evolve(state, event, caseID: id, seq: seq, hash: sealed.hash,
                                              template: template)
                    events += 1
                }
                return state!
            }
        }

        let watch = Stopwatch()
        for i in 0..<caseCount {
            let id = "C-\(i)"
            cases.append(apply(.open(OpenCase(id: id, templateVersion: 1, title: "Case \(i)",
                                              attributes: ["sponsor": "Sponsor AB"])),
                               to: nil, id: id, by: author))
        }
        let digest = String(repeating: "ab", count: 32)
        var i = 0
        while events < target {
            let index = i % caseCount
            var c = cases[index]
            c = apply(.attach(Attachment(kind: "report", sha256: digest, uri: "dms://report/\(i)", title: "Report")),
                      to: c, id: c.id, by: author)
            c = apply(.advance(transition: "submit", reason: nil), to: c, id: c.id, by: author)
            c = apply(.sign(transition: "return", meaning: "reviewed", reason: "Checked"), to: c, id: c.id, by: reviewer)
            c = apply(.advance(transition: "return", reason: "More work"), to: c, id: c.id, by: author)
            c = apply(.note(text: "Cycle \(i) done"), to: c, id: c.id, by: author)
            cases[index] = c
            i += 1
        }
        let seconds = watch.seconds
        let rate = Double(events) / seconds
        print("engine: \(events) events in \(String(format: "%.2f", seconds)) s = \(Int(rate)) events/s (decide + seal + evolve)")
    }
}
