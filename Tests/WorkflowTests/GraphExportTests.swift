import Testing
@testable import Workflow

@Suite struct GraphExportTests {
    static let yaml = """
    template: g
    title: Graph "test"
    roles: {lead: Lead, qa: QA}
    stages: {research: Research \\ discovery, end: The "end"}
    initial: start-here
    states:
      start-here:
        stage: research
        title: Say "hi"
        transitions:
          go: {to: done, roles: [lead, qa]}
          stop: {to: dropped, roles: [lead]}
      done: {stage: end, title: Done, final: true, outcome: approved}
      dropped: {stage: end, final: true}
    """

    static func template() throws -> Template { try TemplateLoader.load(yaml: yaml, file: "g.yaml").get() }

    @Test func dotHasClustersNodesMarkersAndEdges() throws {
        let dot = TemplateGraph.dot(try Self.template())
        let lines = dot.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first == "digraph \"g\" {")
        #expect(lines.last == "}")
        #expect(lines.contains("subgraph \"cluster_research\" {"))
        #expect(lines.contains("label=\"Research \\\\ discovery\";"))
        #expect(lines.contains("subgraph \"cluster_end\" {"))
        #expect(lines.contains("label=\"The \\\"end\\\"\";"))
        #expect(lines.contains("\"start-here\" [label=\"Say \\\"hi\\\"\\nstart-here\"];"))
        #expect(lines.contains("\"done\" [label=\"Done\\ndone\\noutcome: approved\", peripheries=2];"))
        #expect(lines.contains("\"dropped\" [label=\"dropped\", peripheries=2];"))
        #expect(lines.contains("\"__start\" [shape=point];"))
        #expect(lines.contains("\"__start\" -> \"start-here\";"))
        #expect(lines.contains("\"start-here\" -> \"done\" [label=\"go\\n[lead, qa]\"];"))
        #expect(lines.contains("\"start-here\" -> \"dropped\" [label=\"stop\\n[lead]\"];"))
        #expect(lines.filter { $0.contains(" -> ") }.count == 3)
        // States sit inside their stage's cluster.
        let research = try #require(lines.firstIndex(of: "subgraph \"cluster_research\" {"))
        let end = try #require(lines.firstIndex(of: "subgraph \"cluster_end\" {"))
        let doneLine = try #require(lines.firstIndex { $0.hasPrefix("\"done\" [") })
        #expect(research < end && end < doneLine)
    }

    @Test func dotEscapesQuotesBackslashesAndLineBreaks() {
        #expect(TemplateGraph.quoted("a\"b\\c\nd") == "\"a\\\"b\\\\c\\nd\"")
    }

    @Test func mermaidHasCompositeStagesMarkersAndEdges() throws {
        let text = TemplateGraph.mermaid(try Self.template())
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first == "stateDiagram-v2")
        #expect(lines.contains("state \"Research \\ discovery\" as stage_research {"))
        #expect(lines.contains("state \"The #quot;end#quot;\" as stage_end {"))
        #expect(lines.contains("state \"Say #quot;hi#quot;\" as s_start_here"))
        #expect(lines.contains("state \"Done (outcome: approved)\" as s_done"))
        #expect(lines.contains("[*] --> s_start_here"))
        #expect(lines.contains("s_done --> [*]"))
        #expect(lines.contains("s_dropped --> [*]"))
        #expect(lines.contains("s_start_here --> s_done : go [lead, qa]"))
        #expect(lines.contains("s_start_here --> s_dropped : stop [lead]"))
        #expect(lines.filter { $0 == "}" }.count == 2)
    }

    @Test func mermaidIdsCannotClash() {
        #expect(TemplateGraph.stateID("a-b") == "s_a_b")
        #expect(TemplateGraph.stateID("end") == "s_end")  // `end` is a Mermaid keyword
        #expect(TemplateGraph.stageID("a-b") != TemplateGraph.stateID("a-b"))
        #expect(TemplateGraph.label("x;y#z\n\"") == "x#59;y#35;z #quot;")
    }
}

@Suite struct GeneratorTests {
    @Test func chainOfFiveThousandStatesIsValidAndFitsTheLimit() throws {
        let text = TemplateGenerator.chain(states: 5_000)
        #expect(text.utf8.count < TemplateLimits.maxBodyBytes)
        let analysis = TemplateLoader.analyze(yaml: text, file: "chain.yaml")
        #expect(analysis.diagnostics.isEmpty, "\(analysis.diagnostics.prefix(3))")
        let template = try #require(analysis.template)
        #expect(template.states.count == 5_000)
        #expect(template.states.filter(\.isFinal).count == 2)
        #expect(template.state("s0")?.clockEffects == [ClockEffect(.start, "review")])
    }
}
