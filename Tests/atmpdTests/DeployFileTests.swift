import Foundation
import Testing
import Yams

/// The files in Deploy/ stay valid: every YAML parses, the Kubernetes
/// ConfigMap carries exactly the shipped templates, the example configuration
/// is accepted by atmpd and names every setting, and the systemd unit uses
/// known keys with the hardening docs/operations.md promises.
@Suite("Deploy files")
struct DeployFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: "\(root)/\(path)", encoding: .utf8)
    }

    static var yamlFiles: [String] {
        let enumerator = FileManager.default.enumerator(atPath: "\(root)/Deploy")
        var files: [String] = []
        while let next = enumerator?.nextObject() as? String {
            if next.hasSuffix(".yaml") || next.hasSuffix(".yml") { files.append("Deploy/\(next)") }
        }
        return files.sorted()
    }

    @Test func everyYAMLFileParses() throws {
        let files = Self.yamlFiles
        #expect(files.contains("Deploy/compose.yaml") && files.contains("Deploy/kubernetes/atmpd.yaml"))
        for file in files {
            let documents = try Array(Yams.load_all(yaml: try Self.text(file)))
            #expect(!documents.isEmpty, "\(file) holds no document")
            for case let document? in documents {
                #expect(document is [String: Any], "\(file): a document that is not a mapping")
            }
        }
    }

    @Test func kubernetesObjectsHaveKindNameAndNamespace() throws {
        for file in Self.yamlFiles where file.hasPrefix("Deploy/kubernetes/") {
            for case let object as [String: Any] in try Yams.load_all(yaml: try Self.text(file)) {
                let kind = object["kind"] as? String
                let metadata = object["metadata"] as? [String: Any]
                #expect(object["apiVersion"] is String && kind != nil && metadata?["name"] is String, "\(file)")
                if kind != "Namespace" { #expect(metadata?["namespace"] as? String == "atmp", "\(file): \(kind ?? "?")") }
            }
        }
        let objects = try Yams.load_all(yaml: try Self.text("Deploy/kubernetes/atmpd.yaml")).compactMap { $0 as? [String: Any] }
        let deployment = try #require(objects.first { $0["kind"] as? String == "Deployment" })
        let replicas = (deployment["spec"] as? [String: Any])?["replicas"] as? Int
        #expect((replicas ?? 0) >= 2)
        let cluster = try #require(try Yams.load(yaml: try Self.text("Deploy/kubernetes/postgres-cluster.yaml")) as? [String: Any])
        #expect(cluster["kind"] as? String == "Cluster" && (cluster["apiVersion"] as? String)?.hasPrefix("postgresql.cnpg.io/") == true)
    }

    /// The ConfigMap is generated; a template changed without regenerating it fails here.
    @Test func theWorkflowsConfigMapCarriesExactlyTheShippedTemplates() throws {
        let map = try #require(try Yams.load(yaml: try Self.text("Deploy/kubernetes/workflows-configmap.yaml")) as? [String: Any])
        let data = try #require(map["data"] as? [String: String])
        let shipped = try FileManager.default.contentsOfDirectory(atPath: "\(Self.root)/Workflows").filter { $0.hasSuffix(".yaml") }
        #expect(Set(data.keys) == Set(shipped), "run Deploy/kubernetes/make-workflows-configmap.sh")
        for file in shipped {
            #expect(data[file] == (try Self.text("Workflows/\(file)")), "\(file) differs: run Deploy/kubernetes/make-workflows-configmap.sh")
        }
    }

    /// Every setting in docs/daemon.md's table is in the example, and atmpd accepts the file.
    @Test func theExampleConfigurationNamesEverySettingAndIsAccepted() async throws {
        let example = try #require(try Yams.load(yaml: try Self.text("Deploy/atmpd.yaml")) as? [String: Any])
        let documented = try Self.text("docs/daemon.md").split(separator: "\n").compactMap { line -> String? in
            // | `--flag …` | `ATMP_…` | `key` | default |
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, cells[1].hasPrefix("`ATMP_"), cells[2].hasPrefix("`") else { return nil }
            return cells[2].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
        }
        let settings = Set(documented).subtracting(["config"])
        #expect(!settings.isEmpty)
        #expect(Set(example.keys) == settings, "example lacks \(settings.subtracting(example.keys)), has extra \(Set(example.keys).subtracting(settings))")
        // atmpd reads the whole file (unknown keys and bad values are refused);
        // the flag points the database somewhere harmless.
        let directory = try temporaryDirectory()
        let daemon = try Daemon(["migrate", "--config", "\(Self.root)/Deploy/atmpd.yaml", "--database", "sqlite:\(directory)/atmp.db"])
        #expect(try await daemon.exitStatus() == 0, "\(daemon.stderr)")
    }

    /// systemd ignores unknown keys with a warning; here they fail.
    @Test func theSystemdUnitUsesKnownKeysAndIsHardened() throws {
        let known: [String: Set<String>] = [
            "Unit": ["Description", "Documentation", "Wants", "After", "Requires", "Before"],
            "Service": [
                "Type", "NotifyAccess", "User", "Group", "ExecStart", "Restart", "RestartSec", "TimeoutStartSec",
                "KillSignal", "TimeoutStopSec", "Environment", "RuntimeDirectory", "RuntimeDirectoryMode",
                "StateDirectory", "ConfigurationDirectory", "UMask", "NoNewPrivileges", "ProtectSystem", "ProtectHome",
                "PrivateTmp", "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
                "ProtectControlGroups", "ProtectClock", "ProtectHostname", "ProtectProc", "RestrictAddressFamilies",
                "RestrictNamespaces", "RestrictRealtime", "RestrictSUIDSGID", "LockPersonality",
                "MemoryDenyWriteExecute", "SystemCallArchitectures", "SystemCallFilter", "CapabilityBoundingSet",
                "AmbientCapabilities", "LimitNOFILE",
            ],
            "Install": ["WantedBy"],
        ]
        var section: String?
        var values: [String: [String]] = [:]
        for raw in try Self.text("Deploy/atmpd.service").split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast())
                #expect(known[section!] != nil, "unknown section \(line)")
                continue
            }
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            #expect(parts.count == 2, "not KEY=VALUE: \(line)")
            guard parts.count == 2, let current = section else { continue }
            #expect(known[current]?.contains(parts[0]) == true, "[\(current)] \(parts[0]) is not a key this unit may use")
            values[parts[0], default: []].append(parts[1])
        }
        #expect(values["Type"] == ["notify"])
        #expect(values["User"] == ["atmp"])
        #expect(values["ProtectSystem"] == ["strict"])
        #expect(values["RuntimeDirectory"] == ["atmp"])
        #expect(values["NoNewPrivileges"] == ["yes"])
        #expect(values["ExecStart"]?.first?.contains("atmpd serve --config /etc/atmp/atmpd.yaml") == true)
        // The example configuration puts the socket where RuntimeDirectory makes room.
        let example = try Yams.load(yaml: try Self.text("Deploy/atmpd.yaml")) as? [String: Any]
        #expect(example?["socket"] as? String == "/run/atmp/atmpd.sock")
    }

    @Test func theContainerfileBuildsInOneStageAndRunsUnprivilegedInAnother() throws {
        let lines = try Self.text("Deploy/Containerfile").split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("FROM ") }.count == 2)
        let runtime = lines.drop { !$0.hasPrefix("FROM ${RUNTIME_IMAGE}") }
        #expect(runtime.contains { $0.contains("libpq5") })
        #expect(runtime.contains("USER atmp"))
        #expect(runtime.contains { $0.hasPrefix("ENTRYPOINT") && $0.contains("atmpd") })
    }
}
