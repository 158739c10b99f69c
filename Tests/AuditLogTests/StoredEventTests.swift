import Testing
@testable import AuditLog

/// `StoredEvent.computedHash`: the stored text hashes to the event's hash,
/// and only that text does.
@Suite struct StoredEventTests {
    static let awkwardData: [[String: JSONValue]] = [
        [:],
        ["text": .string("plain")],
        ["quote": .string("say \"hi\" \\ \u{1} \u{7f} \u{2028}"), "n": .int(-9_223_372_036_854_775_808)],
        ["é": .string("日本"), "a": .array([.null, .bool(true), .object(["z": .int(1), "b": .string("👩‍🔬")])])],
        ["old": .object(["sponsor": .string("Acme")]), "new": .object(["sponsor": .string("Acme AB")])],
    ]

    @Test(arguments: StoredEventTests.awkwardData)
    func theStoredRowOfAnEventHashesToItsHash(_ data: [String: JSONValue]) {
        var chain = AuditChain(name: "C-000001")
        _ = chain.append(record(1))
        let event = chain.append(AuditRecord(at: t0, actor: "ann \"lead\"", role: "qa", action: "case.noted", data: data))
        let row = StoredEvent(event)
        #expect(row.computedHash() == event.hash)
        #expect(row.at == event.at.rfc3339)
    }

    @Test func anyOtherTextOfTheSameContentHashesDifferently() {
        let event = makeChain("C-000002", count: 3)[2]
        let row = StoredEvent(event)
        var spaced = row
        spaced.data = spaced.data.replacingOccurrences(of: ":", with: ": ")
        var offset = row
        offset.at = offset.at.replacingOccurrences(of: "Z", with: "+00:00")
        var smuggled = row
        smuggled.data += #","prev":"x""#
        for changed in [spaced, offset, smuggled] {
            #expect(changed != row)
            #expect(changed.computedHash() != event.hash)
        }
    }

    @Test func theVerifierChecksRowsAsItChecksEvents() {
        let events = makeChain("C-000003", count: 5)
        var byEvent = ChainVerifier()
        var byRow = ChainVerifier()
        for (n, event) in events.enumerated() {
            var row = StoredEvent(event)
            var changed = event
            if n == 3 {
                row.actor = "mallory"
                changed.actor = "mallory"
            }
            #expect(byRow.check(row, computedHash: row.computedHash()) == byEvent.check(changed))
        }
        #expect(byRow.totalEvents == 5)
    }
}
