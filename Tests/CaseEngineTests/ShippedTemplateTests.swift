import AuditLog
import Foundation
import PropertyBased
import Testing
import Workflow

@testable import CaseEngine

/// The four templates in Workflows/, loaded as atmpd will load them.
enum ShippedTemplates {
    static let names = ["gene-therapy", "cell-therapy", "tissue-engineered", "hospital-exemption"]

    static func load(_ name: String) throws -> Template {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = root.appendingPathComponent("Workflows/\(name).yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        switch TemplateLoader.load(yaml: text, file: path) {
        case .success(let template): return template
        case .failure(let errors): throw ShippedTemplateError(description: "\(errors)")
        }
    }

    /// Two people per template role, one person holding two roles, and a regulator.
    static func people(for template: Template) -> [Principal] {
        var people = template.roles.flatMap { role in
            [Principal(name: "\(role.name)-1", roles: [role.name]), Principal(name: "\(role.name)-2", roles: [role.name])]
        }
        if template.roles.count >= 2 {
            people.append(Principal(name: "dual", roles: [template.roles[0].name, template.roles[1].name]))
        }
        people.append(Principal(name: "inspector", roles: ["regulator"]))
        return people
    }
}

struct ShippedTemplateError: Error, CustomStringConvertible { var description: String }

@Suite("Shipped templates")
struct ShippedTemplateTests {
    /// Each template, walked from its initial state into routine hospital use,
    /// every requirement satisfied the way a team would, the chain verified.
    @Test(arguments: ShippedTemplates.names)
    func walksIntoHospitalUse(_ name: String) throws {
        let template = try ShippedTemplates.load(name)
        let h = try #require(Walker(template: template).walk(to: "in-use"))
        #expect(template.state(h.c.state)?.outcome == "in-use")
        #expect(h.c.isFinal)
        // The route crosses the pathway stage by stage and ends in its last stage, hospital use.
        let stages = Set(h.events.compactMap { $0.data["to"]?.stringValue }.compactMap { template.state($0)?.stage })
        #expect(stages.count >= 5, "stages crossed: \(stages.sorted())")
        #expect(h.c.stage == template.stages.last?.name)
        #expect(h.events.contains { $0.action == "signature.applied" })
        #expect(h.events.contains { $0.action == "document.attached" })

        var verifier = ChainVerifier()
        for event in h.events { #expect(verifier.check(event) == nil) }
        #expect(verifier.finish(expectedHeads: ["C-1": h.c.head]).isEmpty)
        #expect(h.c.version == Int64(h.events.count))
        #expect(try CaseEngine.replay(h.events, template: template) == h.current)
    }

    /// Random command sequences on every shipped template keep the invariants:
    /// the case version equals the events in its chain, the chain verifies,
    /// no transition fires with an unmet requirement, and replaying the chain
    /// rebuilds the case.
    @Test(arguments: ShippedTemplates.names)
    func randomSequencesKeepTheInvariants(_ name: String) async throws {
        let template = try ShippedTemplates.load(name)
        let people = ShippedTemplates.people(for: template)
        let opener = people.first { $0.roles.contains(template.openRoles[0]) }!
        let walker = Walker(template: template)
        let attributes = walker.attributes(for: walker.path(to: "in-use") ?? [])
        var advances = 0
        await propertyCheck(count: 40, input: Gen.int(in: 0...9_999_999).array(of: 1...150)) { steps in
            var h = Harness()
            h.template = template
            h.must(.open(OpenCase(id: "C-1", templateVersion: 1, title: "random", attributes: attributes)), by: opener)
            for n in steps {
                let before = h.c
                h.advanceTime(seconds: Int64((n / 1_000) % 500 - 50) * 3_600)
                var new: [CaseEvent] = []
                if let (command, principal) = PropertyTests.step(n, on: before, template: template, people: people) {
                    new = (try? CaseEngine.decide(command, on: before, template: template, by: principal, at: h.now).get()) ?? []
                    for event in new {
                        guard case .advanced(let transition, _, _, _, _) = event.kind else { continue }
                        advances += 1
                        let step = CaseEngine.next(before, template: template, for: principal).first { $0.transition == transition }
                        #expect(step?.ready == true, "\(name): advanced \(transition) while next says \(String(describing: step))")
                    }
                } else {
                    new = CaseEngine.overdue(before, template: template, at: h.now)
                }
                h.apply(new)
                #expect(h.c.version == Int64(h.events.count))
            }
            var verifier = ChainVerifier()
            for event in h.events { #expect(verifier.check(event) == nil) }
            #expect(verifier.finish(expectedHeads: ["C-1": h.c.head]).isEmpty)
            #expect((try? CaseEngine.replay(h.events, template: template)) == h.current)
        }
        #expect(advances > 20, "\(name): only \(advances) advances in all runs")
    }
}
