import AuditLog
import CaseEngine
import PropertyBased
import Testing
import Workflow
@testable import Storage

/// `CaseCodec.bodyText`, the commit path's direct writer, must write exactly
/// the canonical JSON of `CaseCodec.encode`: stored bodies may not depend on
/// which of the two wrote them.
@Suite struct CaseCodecTextTests {
    static func reference(_ c: Case) -> String { jsonText(CaseCodec.encode(c)) }

    @Test func aBusyCaseIsWrittenAsTheReferenceWritesIt() throws {
        let c = CasePackingTests.busyCase()
        #expect(CaseCodec.bodyText(c) == Self.reference(c))
        #expect(try CaseCodec.decode(try parseJSON(CaseCodec.bodyText(c))) == c)
    }

    @Test func aFreshCaseWithNothingAttached() {
        let t = Timestamp(microseconds: 1_900_000_000_000_000)
        let c = Case(id: "C-000001", template: "t", templateVersion: 1, title: "", state: "s", stage: "",
                     attributes: [:], version: 1, head: "h", opened: t, entered: t, enteredSeq: 1, updated: t,
                     hold: nil, documents: [:], signatures: [], clocks: [:], overdueRaised: [])
        #expect(CaseCodec.bodyText(c) == Self.reference(c))
    }

    /// Text that needs escaping, keys whose UTF-16 and code-point orders
    /// differ (an emoji against U+FFFD), prefixes of one another, and empty.
    static let pieces = ["", "a", "ab", "b", "A", "-", "\"", "\\", "\n", "\u{01}", "\u{7F}", "é", "\u{FFFD}", "😀",
                         "\u{2028}", "日本", "e\u{301}", "seq", "seq2", "at"]

    /// Cases built from random numbers: each number picks the next piece or choice.
    @Test func randomCasesAreWrittenAsTheReferenceWritesThem() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0...1_000_000).array(of: 40...120)) { numbers in
            var source = numbers.makeIterator()
            func next() -> Int { source.next() ?? 0 }
            func text() -> String { (0..<(next() % 4)).map { _ in Self.pieces[next() % Self.pieces.count] }.joined() }
            func time() -> Timestamp { Timestamp(microseconds: 1_900_000_000_000_000 + Int64(next()) * 1_000_003) }
            func optional(_ make: () -> String) -> String? { next() % 3 == 0 ? nil : make() }

            var attributes: [String: String] = [:]
            for _ in 0..<(next() % 5) { attributes[text()] = text() }
            var documents: [String: AttachedDocument] = [:]
            for _ in 0..<(next() % 4) {
                documents[text()] = AttachedDocument(kind: text(), sha256: text(), uri: optional(text), title: optional(text),
                                                     at: time(), seq: Int64(next()), by: text())
            }
            let signatures = (0..<(next() % 4)).map { _ in
                AppliedSignature(transition: text(), role: text(), meaning: next() % 2 == 0 ? .approved : .reviewed,
                                 signer: text(), at: time(), seq: Int64(next()), record: text(), reason: optional(text))
            }
            var clocks: [String: ClockState] = [:]
            for _ in 0..<(next() % 3) {
                let name = text()
                let running = next() % 2 == 0
                clocks[name] = ClockState(name: name, status: running ? .running : .stopped, accumulated: Int64(next()),
                                          runningSince: running ? time() : nil)
            }
            var raised: Set<OverdueSubject> = []
            for _ in 0..<(next() % 4) {
                raised.insert(next() % 2 == 0 ? .clock(text()) : .deadline(state: text(), enteredSeq: Int64(next())))
            }
            let c = Case(
                id: "C-\(next())", template: text(), templateVersion: next(), title: text(), state: text(), stage: text(),
                attributes: attributes, version: Int64(next()), head: text(), opened: time(), entered: time(),
                enteredSeq: Int64(next()), updated: time(),
                hold: next() % 2 == 0 ? Hold(reason: text(), since: time(), by: text()) : nil, isFinal: next() % 2 == 0,
                documents: documents, signatures: signatures, clocks: clocks, overdueRaised: raised)
            #expect(CaseCodec.bodyText(c) == Self.reference(c))
        }
    }
}
