import Testing
@testable import AuditLog

@Suite struct TrailVerifierTests {
    let a = makeChain("C-2026-0001", count: 3)
    let system = makeChain("system", count: 2)

    /// A trail file: A1 S1 A2 S2 A3, newline-terminated.
    var file: [UInt8] {
        let ordered = [a[0], system[0], a[1], system[1], a[2]]
        return Array(lines(ordered).joined(separator: [UInt8(ascii: "\n")])) + [UInt8(ascii: "\n")]
    }

    func lineTexts() -> [String] { file.split(separator: UInt8(ascii: "\n")).map { text(Array($0)) } }
    func verify(_ texts: [String], heads: [String: String] = [:]) -> TrailReport {
        TrailVerifier.verify(lines: texts.map { Array($0.utf8) }, expectedHeads: heads)
    }

    @Test func intactTrailWithSeveralChains() {
        let report = TrailVerifier.verify(trail: file, expectedHeads: ["C-2026-0001": a[2].hash, "system": system[1].hash])
        #expect(report.isIntact)
        #expect(report.totalEvents == 5)
        #expect(report.chains.map(\.name) == ["C-2026-0001", "system"])
        #expect(report.chains.map(\.events) == [3, 2])
        #expect(report.chains.map(\.head) == [a[2].hash, system[1].hash])
    }

    @Test func oneBrokenChainDoesNotAffectTheOthers() {
        var texts = lineTexts()
        texts[2] = texts[2].replacing("note 2", with: "note X")  // A2
        let report = verify(texts)
        #expect(report.breaks.count == 1)
        #expect(report.breaks.first?.chain == "C-2026-0001")
        #expect(report.breaks.first?.seq == 2)
        #expect(report.breaks.first?.line == 3)
        #expect(report.breaks.first?.reason.contains("hash mismatch") == true)
        #expect(report.chains[1].firstBreak == nil)
    }

    @Test func respacedLineIsNotCanonical() {
        var texts = lineTexts()
        texts[3] = texts[3].replacing(",\"seq\":", with: ", \"seq\": ")  // S2, still a valid event and hash
        #expect((try? AuditEvent(jsonLine: Array(texts[3].utf8)))?.hasValidHash == true)
        let report = verify(texts)
        #expect(report.breaks.count == 1)
        #expect(report.breaks.first?.chain == "system")
        #expect(report.breaks.first?.seq == 2)
        #expect(report.breaks.first?.line == 4)
        #expect(report.breaks.first?.reason.hasPrefix("not canonical") == true)
        #expect(report.chains[1].verifiedThrough == 1)
    }

    @Test func reorderedMembersAndEscapesAreNotCanonical() {
        let event = a[0]
        let object = event.jsonObject(includingHash: true).objectValue!
        // seq first instead of last.
        var reordered = "{\"seq\":1"
        for key in AuditEvent.memberNames where key != "seq" {
            reordered += ",\"\(key)\":" + text(object[key]!.canonicalJSON())
        }
        reordered += "}"
        #expect(verify([reordered]).breaks.first?.reason.hasPrefix("not canonical") == true)
        // An escaped "-" is a valid JSON spelling of the same string, but not the canonical one.
        let escaped = text(event.canonicalJSON(includingHash: true)).replacing("C-2026-0001", with: "C-2026\\u002d0001")
        #expect(verify([escaped]).breaks.first?.reason.hasPrefix("not canonical") == true)
        // A CRLF line ending.
        #expect(verify([text(event.canonicalJSON(includingHash: true)) + "\r"]).breaks.first?.seq == 1)
    }

    @Test func garbageLineWithoutAChainIsListedByLineNumber() {
        var texts = lineTexts()
        texts.insert("this is not json", at: 2)
        let report = verify(texts)
        #expect(report.breaks.isEmpty)
        #expect(report.unreadableLines.map(\.line) == [3])
        #expect(report.unreadableLines.first?.reason.contains("at byte 0") == true)
        #expect(!report.isIntact)
        #expect(report.totalEvents == 5)
    }

    @Test func unreadableEventWithAKnownChainBreaksThatChain() {
        var texts = lineTexts()
        texts[2] = texts[2].replacing("\"seq\":2", with: "\"seq\":2.0")  // A2
        let report = verify(texts)
        #expect(report.breaks.count == 1)
        #expect(report.breaks.first?.chain == "C-2026-0001")
        #expect(report.breaks.first?.seq == 2)
        #expect(report.breaks.first?.line == 3)
        #expect(report.breaks.first?.reason.contains("unreadable event") == true)
        // JSON that cannot even be read to find its chain: listed by line.
        texts = lineTexts()
        texts[2] = String(texts[2].dropLast(5))
        let truncated = verify(texts)
        #expect(truncated.unreadableLines.map(\.line) == [3])
        // The chain then has a gap at A2, found at A3.
        #expect(truncated.breaks.first?.seq == 2)
        #expect(truncated.breaks.first?.line == 5)
    }

    @Test func emptyLines() {
        // One trailing empty line (file ends in "\n") is fine.
        #expect(TrailVerifier.verify(trail: file).isIntact)
        // An empty line inside, or two at the end, is reported.
        var texts = lineTexts()
        texts.insert("", at: 1)
        #expect(verify(texts).unreadableLines.map(\.line) == [2])
        #expect(TrailVerifier.verify(trail: file + [UInt8(ascii: "\n")]).unreadableLines.map(\.line) == [6])
        #expect(TrailVerifier.verify(trail: []).isIntact)
    }

    @Test func truncatedTrailNeedsTheExpectedHead() {
        let cut = Array(lineTexts().dropLast())  // A3 removed
        #expect(verify(cut).isIntact)
        let report = verify(cut, heads: ["C-2026-0001": a[2].hash])
        #expect(report.breaks.map(\.seq) == [3])
        #expect(report.breaks.map(\.chain) == ["C-2026-0001"])
    }
}
