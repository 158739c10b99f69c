import Testing
@testable import AuditLog

/// A small case: opened, a document, a signature on it, advanced, an
/// attribute changed, the document replaced, held. Every test tampers with
/// one thing and expects the verifier to name it.
struct ExportFixture {
    static let id = "C-000042"
    static let body = "name: cell-therapy\nstates:\n  - draft\n  - review\n"
    static let batch1 = String(repeating: "a", count: 64)
    static let batch2 = String(repeating: "b", count: 64)

    var records: [AuditRecord]
    var export: CaseExport

    init() {
        func at(_ n: Int64) -> Timestamp { t0.adding(seconds: n * 60) }
        var chain = AuditChain(name: Self.id)
        var events: [AuditEvent] = []
        func add(_ action: String, _ data: [String: JSONValue], actor: String = "alice", role: String = "sponsor") {
            events.append(chain.append(AuditRecord(at: at(Int64(events.count)), actor: actor, role: role,
                                                   action: action, data: data)))
        }
        add("case.opened", ["template": "cell-therapy", "version": 1, "title": "Batch 7", "state": "draft",
                            "stage": "development", "attributes": ["sponsor": "Acme"]])
        add("document.attached", ["kind": "batch-record", "sha256": .string(Self.batch1), "uri": "s3://b/1",
                                  "title": nil, "reason": nil])
        add("signature.applied", ["transition": "submit", "meaning": "approved", "reason": nil,
                                  "record": .string(chain.head)], actor: "quinn", role: "qp")
        add("case.advanced", ["transition": "submit", "from": "draft", "to": "review", "reason": nil])
        add("case.attributes-changed", ["changes": ["sponsor": ["old": "Acme", "new": "Beta"]], "reason": "merger"])
        add("document.attached", ["kind": "batch-record", "sha256": .string(Self.batch2), "uri": nil,
                                  "title": "v2", "reason": "corrected"])
        add("case.held", ["reason": "deviation"])
        records = events.map(\.record)
        let last = events.last!
        export = CaseExport(
            exported: Exported(at: at(100), by: "regina", server: "atmpd test"),
            snapshot: [
                "id": .string(Self.id), "template": "cell-therapy", "template-version": 1, "title": "Batch 7",
                "state": "review", "stage": "qa", "version": .int(last.seq), "head": .string(last.hash),
                "hold": ["reason": "deviation", "since": .string(last.at.rfc3339), "by": "alice"],
                "final": false, "attributes": ["sponsor": "Beta"],
            ],
            template: ExportedTemplate(
                name: "cell-therapy", version: 1, sha256: CaseExportVerifier.sha256Hex(Array(Self.body.utf8)),
                publishedAt: t0, publishedBy: "admin", body: Self.body),
            documents: ExportedDocument.current(from: events),
            signatures: ExportedSignature.all(from: events),
            events: events)
    }

    /// Re-seals the chain from `records`, as a forger with the whole file would.
    mutating func reseal() {
        var chain = AuditChain(name: Self.id)
        export.events = records.map { chain.append($0) }
        export.snapshot["head"] = .string(chain.head)
    }

    func verify(head: String? = nil, documents: Set<String>? = nil) -> CaseExportReport {
        CaseExportVerifier.verify(export.encoded(), expectedHead: head, availableDocuments: documents)
    }
}

@Suite struct CaseExportTests {
    @Test func intactExportVerifies() {
        let fixture = ExportFixture()
        let report = fixture.verify(head: fixture.export.head)
        #expect(report.problems == [])
        #expect(report.caseID == ExportFixture.id)
        #expect(report.events == 7)
        #expect(report.head == fixture.export.head)
        #expect(report.signatures == 1)
        #expect(report.documents.map(\.sha256) == [ExportFixture.batch2])
    }

    @Test func fileLayoutIsOneEventPerLineAsAuditTrailSendsIt() {
        let fixture = ExportFixture()
        let file = text(fixture.export.encoded())
        #expect(CaseExportVerifier.looksLikeExport(Array(file.utf8)))
        let lines = file.split(separator: "\n").map(String.init)
        #expect(lines.first == #"{"format":"atmp-case-export","version":1,"#)
        #expect(!lines.contains { $0.hasPrefix(".") })
        for event in fixture.export.events {
            let line = text(event.canonicalJSON(includingHash: true))
            #expect(lines.contains(line) || lines.contains(line + ","))
        }
        // The YAML is one JSON string per line and joins back to the body.
        #expect(lines.contains(#""  - review","#))
        // A JSON Lines trail is not taken for an export.
        #expect(!CaseExportVerifier.looksLikeExport(fixture.export.events[0].canonicalJSON(includingHash: true)))
    }

    @Test func changedEventDataBreaksTheChain() {
        var fixture = ExportFixture()
        fixture.export.events[4].data["reason"] = "no merger"
        let report = fixture.verify()
        #expect(report.problems.contains { $0.area == .chain && $0.message.contains("seq 5") && $0.message.contains("hash mismatch") })
    }

    @Test func editedBytesInTheFileBreakTheChain() {
        let fixture = ExportFixture()
        let edited = text(fixture.export.encoded()).replacing(#""reason":"merger""#, with: #""reason":"merged""#)
        let report = CaseExportVerifier.verify(Array(edited.utf8))
        #expect(report.problems.contains { $0.area == .chain && $0.message.contains("seq 5") })
    }

    @Test func removedEventIsAGap() {
        var fixture = ExportFixture()
        fixture.export.events.remove(at: 2)
        let report = fixture.verify()
        #expect(report.problems.contains { $0.area == .chain && $0.message.contains("seq 3 missing") })
        #expect(report.problems.contains { $0.area == .head })
    }

    @Test func removedLastEventDisagreesWithTheCaseVersion() {
        var fixture = ExportFixture()
        fixture.export.events.removeLast()
        fixture.export.snapshot["head"] = .string(fixture.export.head)
        let report = fixture.verify()
        #expect(report.problems.contains { $0.area == .head && $0.message.contains("version 7") })
    }

    @Test func reorderedEventsAreCaught() {
        var fixture = ExportFixture()
        fixture.export.events.swapAt(3, 4)
        let report = fixture.verify()
        #expect(report.problems.contains { $0.area == .chain && $0.message.contains("seq 4") })
    }

    @Test func unexpectedHeadIsReported() {
        let fixture = ExportFixture()
        let report = fixture.verify(head: String(repeating: "c", count: 64))
        #expect(report.problems.map(\.area) == [.head])
    }

    @Test func forgedSignatureRecordInARehashedChain() {
        var fixture = ExportFixture()
        // Signature now claims to be on a record that never was in the chain.
        fixture.records[2].data["record"] = .string(String(repeating: "d", count: 64))
        fixture.reseal()
        fixture.export.signatures = ExportedSignature.all(from: fixture.export.events)
        let report = fixture.verify()
        #expect(!report.problems.contains { $0.area == .chain })
        #expect(report.problems.contains { $0.area == .signatures && $0.message.contains("not the hash of an earlier event") })
    }

    @Test func signatureListThatDisagreesWithItsEvent() {
        var fixture = ExportFixture()
        fixture.export.signatures[0].record = fixture.export.events[0].hash
        #expect(fixture.verify().problems.map(\.area) == [.signatures])

        var unlisted = ExportFixture()
        unlisted.export.signatures = []
        #expect(unlisted.verify().problems.contains { $0.area == .signatures && $0.message.contains("not listed") })

        var invented = ExportFixture()
        invented.export.signatures[0].seq = 4
        #expect(invented.verify().problems.contains { $0.area == .signatures && $0.message.contains("seq 4") })
    }

    @Test func documentListMismatch() {
        var stale = ExportFixture()
        stale.export.documents[0].sha256 = ExportFixture.batch1
        #expect(stale.verify().problems.map(\.area) == [.documents])

        var extra = ExportFixture()
        extra.export.documents.append(ExportedDocument(
            kind: "release-certificate", sha256: ExportFixture.batch1, uri: nil, title: nil, seq: 2, at: t0, by: "x"))
        #expect(extra.verify().problems.contains { $0.message.contains("release-certificate is listed but no document.attached") })

        var missing = ExportFixture()
        missing.export.documents = []
        #expect(missing.verify().problems.contains { $0.area == .documents && $0.message.contains("not listed") })
    }

    @Test func documentFilesFoundOrMissing() {
        let fixture = ExportFixture()
        let found = fixture.verify(documents: [ExportFixture.batch2, ExportFixture.batch1])
        #expect(found.isIntact)
        #expect(found.documents.map(\.found) == [true])
        let missing = fixture.verify(documents: [ExportFixture.batch1])
        #expect(missing.documents.map(\.found) == [false])
        #expect(missing.problems.map(\.area) == [.documents])
    }

    @Test func snapshotStateMismatch() {
        var fixture = ExportFixture()
        fixture.export.snapshot["state"] = "released"
        let report = fixture.verify()
        #expect(report.problems.map(\.area) == [.snapshot])
        #expect(report.problems[0].message.contains(#""released""#) && report.problems[0].message.contains(#""review""#))
    }

    @Test func snapshotAttributesAndHoldFollowTheEvents() {
        var attributes = ExportFixture()
        attributes.export.snapshot["attributes"] = ["sponsor": "Acme"]
        #expect(attributes.verify().problems.map(\.area) == [.snapshot])

        var hold = ExportFixture()
        hold.export.snapshot["hold"] = nil
        #expect(hold.verify().problems.map(\.area) == [.snapshot])

        // Resumed: the snapshot's hold is JSON null, and that agrees.
        var resumed = ExportFixture()
        resumed.records.append(AuditRecord(at: t0.adding(seconds: 3600), actor: "alice", role: "sponsor",
                                           action: "case.resumed", data: ["reason": "closed"]))
        resumed.reseal()
        resumed.export.snapshot["hold"] = .null
        resumed.export.snapshot["version"] = 8
        #expect(resumed.verify().problems == [])
        resumed.export.snapshot["hold"] = ["reason": "deviation", "since": "x", "by": "alice"]
        #expect(resumed.verify().problems.map(\.area) == [.snapshot])
    }

    @Test func templateMustMatchItsSha256AndTheCase() {
        var body = ExportFixture()
        body.export.template.body += "  - released\n"
        #expect(body.verify().problems.map(\.area) == [.template])

        var version = ExportFixture()
        version.export.template.version = 2
        #expect(version.verify().problems.map(\.area) == [.template])
    }

    @Test func notAnExport() {
        #expect(CaseExportVerifier.verify(Array("[]".utf8)).problems.map(\.area) == [.format])
        let wrong = #"{"format":"something-else","version":1}"#
        #expect(CaseExportVerifier.verify(Array(wrong.utf8)).problems.map(\.area) == [.format])
        var truncated = ExportFixture().export.encoded()
        truncated.removeLast(40)
        #expect(CaseExportVerifier.verify(truncated).problems.map(\.area) == [.format])
    }
}
