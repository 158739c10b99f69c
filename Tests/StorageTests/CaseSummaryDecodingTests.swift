import AuditLog
import CaseEngine
import Testing
@testable import Storage

/// `CaseCodec.decodeSummary`: what a list reads from a stored body without
/// building the whole case must equal the summary of the whole case.
@Suite struct CaseSummaryDecodingTests {
    static func body(_ c: Case) -> String { jsonText(CaseCodec.encode(c)) }

    @Test func aBusyCaseOnHoldGivesTheSummaryOfTheWholeCase() throws {
        let busy = CasePackingTests.busyCase()
        #expect(busy.hold != nil && !busy.documents.isEmpty && !busy.signatures.isEmpty)
        #expect(try CaseCodec.decodeSummary(Self.body(busy)) == CaseSummary(busy))
    }

    @Test func aCaseNotOnHoldWithoutAttributes() throws {
        var c = CasePackingTests.busyCase()
        c.hold = nil
        c.attributes = [:]
        c.isFinal = true
        let summary = try CaseCodec.decodeSummary(Self.body(c))
        #expect(summary == CaseSummary(c))
        #expect(summary.holdReason == nil && summary.isFinal)
    }

    @Test func attributesWithQuotesAndUnicodeComeBackExactly() throws {
        var c = CasePackingTests.busyCase()
        c.attributes = ["note": "say \"hi\" \\ tab\t", "site": "Rigshospitalet, København", "emoji": "👩‍🔬"]
        #expect(try CaseCodec.decodeSummary(Self.body(c)).attributes == c.attributes)
    }

    @Test(arguments: [
        "", "not json", "{\"format\":1}", "{\"format\":2,\"id\":\"C-000001\"}",
        "{\"format\":1,\"documents\":{\"x\":[}}",
    ])
    func aDamagedBodyIsReportedAsCorrupt(_ text: String) {
        #expect { try CaseCodec.decodeSummary(text) } throws: { ($0 as? StoreError)?.code == .corrupt }
    }

    @Test func aMissingMemberIsCorruptNotDefaulted() throws {
        let c = CasePackingTests.busyCase()
        for key in CaseCodec.summaryNames.names where key != "hold" {
            guard case .object(var members) = CaseCodec.encode(c) else { Issue.record("not an object"); return }
            members[key] = nil
            let text = jsonText(.object(members))
            #expect(throws: StoreError.self, "\(key)") { try CaseCodec.decodeSummary(text) }
        }
    }
}
