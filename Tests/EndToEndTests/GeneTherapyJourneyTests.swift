import AuditLog
import ControlProtocol
import Foundation
import SocketTestSupport
import Testing
import Workflow

/// A gene-therapy case driven through a real atmpd over its socket, from
/// research to routine hospital use, by a team with every role — then
/// reviewed and verified by a regulator.
@Suite("Gene therapy, research to routine use", .serialized)
struct GeneTherapyJourneyTests {
    static let password = "team-password-1"

    @Test(arguments: Backend.allCases)
    func researchToRoutineHospitalUse(_ backend: Backend) throws {
        let daemon = try AtmpdProcess.endToEnd(backend)
        defer { daemon.stopBlocking() }
        try daemon.startBlocking()
        let root = try daemon.client()

        let yaml = try String(contentsOf: BuiltProducts.packageRoot.appendingPathComponent("Workflows/gene-therapy.yaml"),
                              encoding: .utf8)
        let template = try TemplateLoader.load(yaml: yaml, file: "gene-therapy.yaml").get()
        // Published at start from --workflows; publishing the same body again is a no-op.
        let put = expectOK(try root.send("+TEMPLATE PUT", data: yaml))
        #expect(put["unchanged"] == "true" && put["version"] == "1")

        // Three people per role, so signers and the one who fires can always differ.
        for role in template.roles {
            for i in 1...3 {
                expectOK(try root.send("USER ADD \(role.name)-\(i) roles=\(role.name) password=\(Self.password)"))
            }
        }
        expectOK(try root.send("USER ADD inspector roles=regulator password=\(Self.password)"))

        let route = try #require(JourneyPlanner(template: template).path(to: "in-use"))
        let opener = try daemon.client("\(template.openRoles[0])-1", Self.password)
        let attributes = JourneyPlanner(template: template).attributes(for: route)
            .map { "attr.\($0.key)=\(Quoting.quotedIfNeeded($0.value))" }.sorted().joined(separator: " ")
        let opened = try opener.send("CASE OPEN template=gene-therapy title=\"AAV9 gene therapy for SMA\" \(attributes)")
        expectOK(opened)
        let id = try #require(opened.records("case").first?["id"])
        var version = 1

        var sessions: [String: ProtocolClient] = [:]
        func session(_ user: String) throws -> ProtocolClient {
            if let open = sessions[user] { return open }
            let client = try daemon.client(user, Self.password)
            sessions[user] = client
            return client
        }

        for step in route {
            let transition = step.transition
            let firer = "\(transition.roles[0])-1"
            for document in transition.documents {
                let digest = String(repeating: "ab", count: 32)
                let reply = try session(firer).send(
                    "CASE ATTACH \(id) document=\(document.kind) sha256=\(digest) uri=dms://\(document.kind) reason=\"for \(transition.name)\"")
                expectOK(reply, "attach \(document.kind)")
                version += 1
            }
            for requirement in transition.signatures {
                let signers = (1...3).map { "\(requirement.role)-\($0)" }.filter { $0 != firer }.prefix(requirement.count)
                for signer in signers {
                    let reply = try session(signer).send(
                        "CASE SIGN \(id) \(transition.name) meaning=\(requirement.meaning.rawValue) password=\(Self.password) reason=\"checked\"")
                    expectOK(reply, "\(signer) signs \(transition.name)")
                    version += 1
                }
            }
            let show = try session(firer).send("CASE SHOW \(id)")
            let next = show.records("next").first { $0["transition"] == transition.name }
            #expect(next?["ready"] == "true", "\(transition.name) not ready: \(String(describing: next))")
            let advanced = try session(firer).send(
                "CASE ADVANCE \(id) \(transition.name) reason=\"step \(transition.name)\" expect=\(version)")
            expectOK(advanced, "advance \(transition.name)")
            version += 1
            #expect(advanced.records("case").first?["version"] == String(version))
            #expect(advanced.records("case").first?["state"] == transition.to)
        }

        let final = try opener.send("CASE SHOW \(id)")
        let record = try #require(final.records("case").first)
        #expect(record["state"] == route.last?.transition.to)
        #expect(record["final"] == "true")
        #expect(record["version"] == String(version))

        // The regulator reviews the trail, verifies it offline and on the server, and can change nothing.
        let inspector = try daemon.client("inspector", Self.password)
        let trail = try inspector.send("AUDIT TRAIL \(id) limit=10000")
        let end = expectOK(trail)
        let block = try #require(trail.records.first { $0.type == "audit" }?.data)
        let report = TrailVerifier.verify(trail: Array(block.utf8), expectedHeads: [id: end["head"] ?? ""])
        #expect(report.isIntact, "\(report.breaks) \(report.unreadableLines)")
        #expect(report.totalEvents == Int64(version))
        #expect(end["events"] == String(version))
        expectOK(try inspector.send("AUDIT VERIFY \(id)"))
        expectOK(try inspector.send("AUDIT VERIFY"))
        expectError(try inspector.send("CASE NOTE \(id) text=\"regulators only read\""), 551, "forbidden")
        // Every signature in the trail names the record it was given on.
        let signatures = block.split(separator: "\n").filter { $0.contains("\"signature.applied\"") }
        #expect(!signatures.isEmpty)
        #expect(signatures.allSatisfy { $0.contains("\"record\":\"") })
    }
}

/// The route a well-behaved team takes: the shortest path to an outcome, and
/// attribute values that satisfy every condition on it.
struct JourneyPlanner {
    let template: Template

    func path(to outcome: String) -> [RouteStep]? { template.route(toOutcome: outcome) }

    func attributes(for steps: [RouteStep]) -> [String: String] {
        template.attributeValues(satisfying: steps).reduce(into: [:]) { values, entry in
            values[entry.key] = entry.value.map { $0.first ?? "" } ?? "Example \(entry.key)"
        }
    }
}
