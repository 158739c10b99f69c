import AuditLog
import Testing
import Workflow

@testable import CaseEngine

/// Drives a case of any template from its initial state to a final state with a
/// given outcome, doing what a well-behaved team would: open with attribute values
/// that satisfy every `when` on the way, attach each required document (during
/// the stay, so `since: entry` holds), collect signatures from distinct users
/// holding the roles, and fire with a user who holds the role and did not sign.
/// Any refusal fails the calling test.
struct Walker {
    let template: Template

    typealias Step = RouteStep

    /// The shortest path (fewest transitions) from `initial` to a final state with `outcome`.
    func path(to outcome: String) -> [Step]? { template.route(toOutcome: outcome) }

    /// Attribute values that satisfy every `when` along `steps` (and every required attribute).
    func attributes(for steps: [Step], sourceLocation: SourceLocation = #_sourceLocation) -> [String: String] {
        var values: [String: String] = [:]
        for (name, allowed) in template.attributeValues(satisfying: steps) {
            guard let allowed else {
                values[name] = "walker \(name)"
                continue
            }
            guard let first = allowed.first else {
                Issue.record("no value of \(name) satisfies every condition on the path", sourceLocation: sourceLocation)
                continue
            }
            values[name] = first
        }
        return values
    }

    /// Walks a new case to `outcome`; returns the harness holding the case and its chain.
    @discardableResult
    func walk(to outcome: String, sourceLocation: SourceLocation = #_sourceLocation) -> Harness? {
        guard let steps = path(to: outcome) else {
            Issue.record("no path from \(template.initial) to outcome \(outcome)", sourceLocation: sourceLocation)
            return nil
        }
        var h = Harness()
        h.template = template
        let opener = Principal(name: "opener", roles: [template.openRoles[0]])
        h.must(.open(OpenCase(id: "C-1", templateVersion: 1, title: "walked", attributes: attributes(for: steps))),
               by: opener, sourceLocation: sourceLocation)
        for step in steps {
            guard h.current?.state == step.from else {
                Issue.record("expected to be in \(step.from), am in \(h.current?.state ?? "nothing")", sourceLocation: sourceLocation)
                return nil
            }
            let t = step.transition
            let firer = Principal(name: "\(t.roles[0])-firer", roles: [t.roles[0]])
            for document in t.documents where document.sinceEntry || h.c.documents[document.kind] == nil {
                h.must(.attach(Attachment(kind: document.kind, sha256: Fixture.hex)), by: firer, sourceLocation: sourceLocation)
            }
            for (r, requirement) in t.signatures.enumerated() {
                for i in 0..<requirement.count {
                    let signer = Principal(name: "\(requirement.role)-signer-\(r)-\(i)", roles: [requirement.role])
                    h.must(.sign(transition: t.name, meaning: requirement.meaning.rawValue, reason: nil), by: signer,
                           sourceLocation: sourceLocation)
                }
            }
            h.must(.advance(transition: t.name, reason: "walking to \(outcome)"), by: firer, sourceLocation: sourceLocation)
            h.advanceTime(seconds: 3_600)
        }
        #expect(h.current?.isFinal == true, sourceLocation: sourceLocation)
        #expect(template.state(h.current?.state ?? "")?.outcome == outcome, sourceLocation: sourceLocation)
        return h
    }
}

@Suite struct WalkerTests {
    @Test func walksTheFixtureIntoHospitalUse() throws {
        let h = try #require(Walker(template: Fixture.template).walk(to: "in-use"))
        #expect(h.c.state == "in-use")
        #expect(h.c.attributes["route"] == "central")
        #expect(try CaseEngine.replay(h.events, template: h.template) == h.current)
        // discovery → classification → maa-assessment → approved → in-use
        #expect(h.events.filter { $0.action == "case.advanced" }.count == 4)
    }

    @Test func walksTheFixtureToDiscontinued() throws {
        let h = try #require(Walker(template: Fixture.template).walk(to: "discontinued"))
        #expect(h.c.version == 2)
    }

    @Test func findsNoPathToAnOutcomeNoStateHas() {
        #expect(Walker(template: Fixture.template).path(to: "teleported") == nil)
    }
}
