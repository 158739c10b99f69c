import Testing

@Suite("atmpctl template")
struct TemplateCommandTests {
    @Test func shippedTemplatesAreValid() throws {
        let files = ["gene-therapy", "cell-therapy", "tissue-engineered", "hospital-exemption"].map { "Workflows/\($0).yaml" }
        let run = try atmpctl(["template", "check"] + files)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        for file in files { #expect(run.stdout.contains("\(file): ok: template")) }
    }

    @Test func errorsUseTheCompilerConventionAndExit65() throws {
        let path = try temporaryFile("broken.yaml", """
            template: Broken_Name
            roles: { lead: Lead }
            stages: { work: Work }
            initial: start
            states:
              start:
                stage: work
                transitions:
                  go: { to: nowhere, roles: [lead] }
                  stay: { to: start, roles: [ghost], colour: red }
            """)
        let valid = try temporaryFile("valid.yaml", """
            template: ok
            roles: { lead: Lead }
            stages: { work: Work }
            initial: a
            states:
              a: { stage: work, title: A, transitions: { done: { to: b, roles: [lead] } } }
              b: { stage: work, title: B, final: true }
            """)
        let run = try atmpctl(["template", "check", valid, path])
        #expect(run.status == 65)
        #expect(run.stdout.contains("valid.yaml: ok"))
        let errors = run.stderr.split(separator: "\n").filter { $0.contains(": error: ") }
        // Every error, not just the first: bad name, undeclared state, undeclared role, unknown key, no final state…
        #expect(errors.count >= 4, "\(run.stderr)")
        #expect(run.stderr.contains("\(path):1:11: error:"), "\(run.stderr)")   // the template name's value
        #expect(run.stderr.contains("\(path):9:17: error:"), "\(run.stderr)")   // the value `nowhere` of `to:`
        #expect(run.stderr.contains("\(path):10:42: error:"), "\(run.stderr)")  // unknown key `colour`
    }

    @Test func unreadableInputsExit66() throws {
        let run = try atmpctl(["template", "check", "/nonexistent/template.yaml"])
        #expect(run.status == 66)
        #expect(run.stderr.contains("/nonexistent/template.yaml: no such file"))
    }

    @Test func standardInputIsAccepted() throws {
        let run = try atmpctl(["template", "check", "-"], stdin: "template: x\n")
        #expect(run.status == 65)
        #expect(run.stderr.contains("<stdin>:"))
    }

    @Test func graphsInBothFormats() throws {
        let dot = try atmpctl(["template", "graph", "Workflows/cell-therapy.yaml", "--format", "dot"])
        #expect(dot.status == 0)
        #expect(dot.stdout.hasPrefix("digraph"))
        #expect(dot.stdout.contains("subgraph \"cluster_research\""))
        let mermaid = try atmpctl(["template", "graph", "Workflows/cell-therapy.yaml", "--format", "mermaid"])
        #expect(mermaid.status == 0)
        #expect(mermaid.stdout.hasPrefix("stateDiagram-v2"))
        #expect(mermaid.stdout.contains("[*] -->"))
        let bad = try atmpctl(["template", "graph", "Workflows/cell-therapy.yaml", "--format", "png"])
        #expect(bad.status == 64)
    }
}
