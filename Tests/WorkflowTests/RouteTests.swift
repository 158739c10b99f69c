import Testing
@testable import Workflow

@Suite("Routes through a template")
struct RouteTests {
    let yaml = """
        template: routes
        roles: { lead: Lead }
        attributes:
          class: { required: true, values: [a, b, c] }
          route: { values: [fast, slow] }
          note: { title: Free text }
        stages: { work: Work }
        initial: start
        states:
          start:
            stage: work
            title: Start
            transitions:
              long: { to: middle, roles: [lead] }
              short: { to: done, roles: [lead], when: { class: [b, c], route: [fast] } }
          middle:
            stage: work
            title: Middle
            transitions:
              finish: { to: done, roles: [lead], when: { class: [c, a] } }
              drop: { to: dropped, roles: [lead] }
          done: { stage: work, title: Done, final: true, outcome: in-use }
          dropped: { stage: work, title: Dropped, final: true, outcome: dropped }
        """

    @Test func shortestRouteAndTheAttributesItNeeds() throws {
        let template = try TemplateLoader.load(yaml: yaml, file: "routes.yaml").get()
        let route = try #require(template.route(toOutcome: "in-use"))
        #expect(route.map(\.transition.name) == ["short"])
        let values = template.attributeValues(satisfying: route)
        #expect(values["class"] == .some(["b", "c"]))
        #expect(values["route"] == .some(["fast"]))
        #expect(values["note"] == nil)  // neither required nor tested on the route

        let longWay = [RouteStep(from: "start", transition: template.state("start")!.transition("long")!),
                       RouteStep(from: "middle", transition: template.state("middle")!.transition("finish")!)]
        #expect(template.attributeValues(satisfying: longWay)["class"] == .some(["a", "c"]))
        // Both routes together: only `c` satisfies every condition.
        #expect(template.attributeValues(satisfying: route + longWay)["class"] == .some(["c"]))
    }

    @Test func routesToOtherOutcomesAndNoneToAnUnknownOne() throws {
        let template = try TemplateLoader.load(yaml: yaml, file: "routes.yaml").get()
        #expect(template.route(toOutcome: "dropped")?.map(\.transition.name) == ["long", "drop"])
        #expect(template.route(toOutcome: "teleported") == nil)
    }
}
