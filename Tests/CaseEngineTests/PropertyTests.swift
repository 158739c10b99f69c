import AuditLog
import PropertyBased
import Testing
import Workflow

@testable import CaseEngine

/// Random command sequences on the fixture, with invariants checked after every step.
///
/// Each generated integer is decoded into one step (a command, who issues it, and
/// how far time moves, sometimes backwards), so PropertyBased can shrink a failing
/// sequence to a short one.
@Suite struct PropertyTests {
    static let people: [Principal] = [
        Fixture.lead, Fixture.qa, Fixture.qa2, Fixture.qp, Fixture.ra, Fixture.hospital, Fixture.leadAndQA,
        Fixture.regulator, Principal(name: "both", roles: ["qa", "qp"]),
    ]

    /// Decodes one generated number into a command and who issues it (nil: raise
    /// what is overdue). Mostly someone holding a fitting role is picked, sometimes anyone.
    static func step(_ n: Int, on c: Case, template: Template, people: [Principal] = people) -> (CaseCommand, Principal)? {
        let transitions = template.state(c.state)?.transitions ?? []
        let choice = n / 100
        let anyone = people[(n / 13) % people.count]
        func someone(holding roles: [String]) -> Principal {
            let fitting = people.filter { !$0.roles.isDisjoint(with: roles) }
            return fitting.isEmpty || choice % 5 == 0 ? anyone : fitting[(n / 7) % fitting.count]
        }
        // The first transition out of each state is the way forward in the fixture: weight it so
        // random runs get deep into the workflow instead of mostly abandoning.
        func transition() -> Transition? {
            guard !transitions.isEmpty else { return nil }
            let i = choice % (6 * transitions.count)
            return transitions[i < transitions.count ? i : 0]
        }
        switch n % 10 {
        case 0, 1, 2:
            let t = transition()
            let name = choice % 17 == 0 ? "no-such-transition" : (t?.name ?? "x")
            return (.advance(transition: name, reason: choice % 5 == 1 ? nil : "r\(choice % 3)"),
                    someone(holding: t?.roles ?? []))
        case 3, 4:
            let t = transition()
            let requirements = t?.signatures ?? []
            if requirements.isEmpty || choice % 7 == 0 {
                return (.sign(transition: t?.name ?? "x", meaning: SignatureMeaning.allCases[choice % 4].rawValue, reason: nil),
                        anyone)
            }
            let requirement = requirements[choice % requirements.count]
            return (.sign(transition: t!.name, meaning: requirement.meaning.rawValue, reason: nil),
                    someone(holding: [requirement.role]))
        case 5, 6:
            let wanted = transition()?.documents.map(\.kind) ?? []
            let kind = wanted.isEmpty || choice % 6 == 0 ? template.documents[choice % template.documents.count].name
                : wanted[choice % wanted.count]
            return (.attach(Attachment(kind: kind, sha256: Fixture.hex)), anyone)
        case 7:
            if c.hold != nil { return (.resume(reason: "r"), anyone) }
            return (choice % 3 == 0 ? .hold(reason: "h") : .note(text: "n"), anyone)
        case 8:
            // Change an attribute to one of its allowed values (or a blank, which optional ones accept).
            guard let spec = template.attributes.isEmpty ? nil : template.attributes[choice % template.attributes.count]
            else { return (.note(text: "n"), anyone) }
            let values = (spec.values ?? ["x", "y"]) + [""]
            let value = values[(choice / 3) % values.count]
            return (choice % 2 == 0 ? .note(text: "n") : .setAttributes([spec.name: value], reason: "r"), anyone)
        default:
            return nil
        }
    }

    @Test func invariantsHoldOnRandomCommandSequences() async {
        let template = Fixture.template
        // Coverage across all runs, so the test cannot pass by refusing everything.
        var statesReached: Set<String> = []
        var advances = 0
        await propertyCheck(count: 150, input: Gen.int(in: 0...9_999_999).array(of: 1...120)) { steps in
            var h = Harness.opened()
            // The case rebuilt from the records alone, one event at a time.
            var rebuilt = try CaseEngine.replay(h.events, template: template)
            for n in steps {
                let before = h.c
                h.advanceTime(seconds: Int64((n / 1_000) % 500 - 50) * 3_600)
                let new: [CaseEvent]
                if let (command, principal) = Self.step(n, on: before, template: template) {
                    let result = CaseEngine.decide(command, on: before, template: template, by: principal, at: h.now)
                    new = (try? result.get()) ?? []
                    for event in new {
                        guard case .advanced(let name, _, _, _, _) = event.kind else { continue }
                        let step = CaseEngine.next(before, template: template, for: principal).first { $0.transition == name }
                        #expect(step?.ready == true, "advanced \(name) while next says \(String(describing: step))")
                    }
                } else {
                    new = CaseEngine.overdue(before, template: template, at: h.now)
                }
                for event in new { if case .advanced(_, _, let to, _, _) = event.kind { advances += 1; statesReached.insert(to) } }
                let lastAt = h.events.last!.at
                h.apply(new)
                #expect(h.c.version == Int64(h.events.count))
                // Time never goes backwards, even when the host clock does.
                for event in new { #expect(event.at >= lastAt) }
                for sealed in h.events.suffix(new.count) {
                    let event = try CaseEvent(record: AuditRecord(
                        at: sealed.at, actor: sealed.actor, role: sealed.role, action: sealed.action, data: sealed.data))
                    rebuilt = CaseEngine.evolve(rebuilt, event, caseID: sealed.chain, seq: sealed.seq, hash: sealed.hash,
                                                template: template)
                }
                #expect(rebuilt == h.current)
            }
            #expect(try CaseEngine.replay(h.events, template: template) == h.current)
        }
        #expect(advances > 100)
        #expect(statesReached.count >= 5, "reached only \(statesReached.sorted())")
    }
}
