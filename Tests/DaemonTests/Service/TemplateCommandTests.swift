import Foundation
import ControlProtocol
import Storage
import Testing
@testable import Daemon

@Suite struct TemplateCommandTests {
    @Test func putIsVersionedAndUnchangedBodiesAreNoOps() async throws {
        let f = try await ServiceFixture.make()
        let first = try await f.run("+TEMPLATE PUT", data: trialTemplate, as: "root")
        #expect(first.code == .ok && first.status?["template"] == "trial" && first.status?["version"] == "1")
        #expect(first.status?["sha256"] == CommandService.sha256Hex(Array(trialTemplate.utf8)))
        #expect(first.status?["unchanged"] == nil)
        let again = try await f.run("+TEMPLATE PUT", data: trialTemplate, as: "root")
        #expect(again.status?["version"] == "1" && again.status?["unchanged"] == "true")
        let changed = try await f.run("+TEMPLATE PUT", data: trialTemplate + "# v2\n", as: "root")
        #expect(changed.status?["version"] == "2")
        let system = try await f.store.trail(chain: "system", from: 1, limit: 100)
        #expect(system.filter { $0.action == "template.published" }.count == 2)
    }

    @Test func invalidTemplateListsErrorsWithPositions() async throws {
        let f = try await ServiceFixture.make()
        let broken = trialTemplate.replacingOccurrences(of: "to: done", with: "to: nowhere")
        for verb in ["+TEMPLATE PUT", "+TEMPLATE CHECK"] {
            let outcome = try await f.run(verb, data: broken, as: "root")
            #expect(outcome.code == .invalidTemplate)
            let error = try #require(outcome.records("error").first)
            #expect(Int(error["line"] ?? "") ?? 0 > 1 && error["column"] != nil)
            #expect(outcome.records("error").contains { $0["message"]?.contains("nowhere") == true }, "\(outcome.reply)")
        }
        #expect(try await f.store.latestTemplates().isEmpty)
    }

    @Test func checkChangesNothingAndShowsWarnings() async throws {
        let f = try await ServiceFixture.make()
        try await f.addUser("alice", roles: [])
        let outcome = try await f.run("+TEMPLATE CHECK", data: trialTemplate, as: "alice")
        #expect(outcome.code == .ok)
        #expect(try await f.store.latestTemplates().isEmpty)
    }

    @Test func dataBlockRules() async throws {
        let f = try await ServiceFixture.make { $0.maxDataBytes = 100 }
        #expect(try await f.run("TEMPLATE PUT", as: "root").code == .badArgument)
        #expect(try await f.run("+TEMPLATE LIST", data: "x", as: "root").code == .badArgument)
        let big = try await f.run("+TEMPLATE PUT", data: trialTemplate, as: "root")
        #expect(big.code == .badArgument && big.reply.error?.message.contains("limit") == true)
    }

    @Test func listShowGraph() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        let list = try await f.run("TEMPLATE LIST", as: "root")
        let trial = try #require(list.records("template").first { $0["name"] == "trial" })
        #expect(trial["version"] == "1" && trial["title"] == "Trial template" && trial["states"] == "3")

        let show = try await f.run("TEMPLATE SHOW trial", as: "root")
        #expect(show.reply.records.first?.data == trialTemplate && show.reply.records.first?["version"] == "1")
        #expect(try await f.run("TEMPLATE SHOW trial version=1", as: "root").code == .ok)
        #expect(try await f.run("TEMPLATE SHOW trial version=2", as: "root").code == .notFound)
        #expect(try await f.run("TEMPLATE SHOW ghost", as: "root").code == .notFound)
        for bad in ["0", "-1", "x", "1.5", "99999999999"] {
            #expect(try await f.run("TEMPLATE SHOW trial version=\(bad)", as: "root").code == .badArgument)
        }

        let dot = try await f.run("TEMPLATE GRAPH trial", as: "root")
        #expect(dot.reply.records.first?["format"] == "dot" && dot.reply.records.first?.data?.contains("digraph") == true)
        let mermaid = try await f.run("TEMPLATE GRAPH trial format=mermaid", as: "root")
        #expect(mermaid.reply.records.first?["format"] == "mermaid")
        #expect(try await f.run("TEMPLATE GRAPH trial format=svg", as: "root").code == .badArgument)
    }

    @Test func publishWorkflowsDirectory() async throws {
        let f = try await ServiceFixture.make()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try trialTemplate.write(to: directory.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try "template: [".write(to: directory.appendingPathComponent("b.yml"), atomically: true, encoding: .utf8)
        try "ignored".write(to: directory.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        let problems = await f.service.publishWorkflows(directory: directory.path)
        #expect(problems.count == 1 && problems[0].contains("b.yml"))
        #expect(try await f.store.template(named: "trial", version: nil)?.publishedBy == "system")
        // Again: unchanged, no new version.
        _ = await f.service.publishWorkflows(directory: directory.path)
        #expect(try await f.store.template(named: "trial", version: 2) == nil)
        #expect(await f.service.publishWorkflows(directory: "/nonexistent/dir").count == 1)
    }
}

