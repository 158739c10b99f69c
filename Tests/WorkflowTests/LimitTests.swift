import Foundation
import Testing
@testable import Workflow

/// Hostile input: every case must come back as a prompt diagnostic, never a
/// hang or a crash (a regression here would hang or crash the test run).
@Suite struct LimitTests {
    @Test func bodyOverOneMebibyteIsRejectedBeforeParsing() {
        let body = "# " + String(repeating: "x", count: TemplateLimits.maxBodyBytes - 2) + "!"
        #expect(body.utf8.count == TemplateLimits.maxBodyBytes + 1)
        expectSingleError(body, at: 1, 1, "the limit is 1048576 bytes")
        let fromBytes = TemplateLoader.analyze(bytes: Array(body.utf8), file: "t.yaml")
        #expect(fromBytes.errors.map(\.message).first?.contains("1048577 bytes") == true)
    }

    @Test func bodyOfExactlyOneMebibyteIsNotRejectedForSize() {
        let padding = TemplateLimits.maxBodyBytes - minimal.utf8.count - 3
        let body = minimal + "\n# " + String(repeating: "x", count: padding)
        #expect(body.utf8.count == TemplateLimits.maxBodyBytes)
        #expect(errors(body).isEmpty)
    }

    static let laughs = """
    a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
    f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
    g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
    h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
    i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
    """

    @Test func billionLaughsInValuesIsRejected() {
        expectSingleError(Self.laughs + "\ntemplate: *i", at: 1, 4, "anchors (&name) and aliases (*name) are not supported")
    }

    @Test func billionLaughsAsAMappingKeyIsRejected() {
        // Expanding the alias to compare keys would be exponential: the anchor stops it first.
        expectSingleError(Self.laughs + "\n? *i\n: x", at: 1, 4, "anchors")
        expectSingleError(Self.laughs + "\n*i : x", at: 1, 4, "anchors")
        expectSingleError("{a: &k [1, 2], *k : x}", at: 1, 5, "anchors")
    }

    @Test func anAliasWithoutAnAnchorIsReportedWhereItIs() {
        expectSingleError("template: t\nroles: *r\n", at: 2, 8, "aliases (*name) are not supported")
    }

    @Test func ampersandsInOrdinaryTextAreNotAnchors() throws {
        let yaml = minimal.replacingOccurrences(of: "title: A", with: "title: Research & development (R&D)")
        #expect(try TemplateLoader.load(yaml: yaml, file: "t.yaml").get().state("a")?.title == "Research & development (R&D)")
    }

    @Test func deepFlowNestingIsRejected() {
        let deep = "template: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        // The estimate counts two levels for the root line, so the 63rd bracket (column 73) trips it.
        expectSingleError(deep, at: 1, 73, "nesting deeper than 64")
    }

    @Test func deepBlockNestingIsRejected() {
        var yaml = ""
        for level in 0..<1_000 {  // about 0.5 MB: under the size limit
            yaml += String(repeating: " ", count: level) + "k\(level):\n"
        }
        let found = analyze(yaml).errors
        #expect(found.count == 1)
        #expect(found.first?.message.contains("nesting deeper") == true, "\(found)")
        #expect((found.first?.line ?? 0) < 40)

        let dashes = "template:\n" + String(repeating: "- ", count: 5_000) + "x"
        #expect(analyze(dashes).errors.first?.message.contains("nesting deeper") == true, "\(analyze(dashes).errors)")
    }

    @Test func realisticNestingIsAccepted() throws {
        #expect(YAMLPrescan.check(LoaderTests.full.utf8) == nil)
        #expect(try YAMLComposer.compose(LoaderTests.full) != nil)
    }

    @Test func invalidUTF8IsReportedWhereItStarts() {
        var bytes = Array("template: t\nroles: {a: ".utf8)
        bytes += [0xC3, 0x28]  // a lead byte followed by a non-continuation byte
        bytes += Array("}\n".utf8)
        let result = TemplateLoader.analyze(bytes: bytes, file: "t.yaml")
        #expect(result.errors.count == 1)
        #expect(result.errors.map { "\($0.line):\($0.column)" } == ["2:12"])
        #expect(result.errors.first?.message == "the template is not valid UTF-8")
    }

    @Test func nulBytesAreRejected() {
        expectSingleError("template: t\ntitle: a\u{0}b\n", at: 2, 9, "NUL byte")
        let result = TemplateLoader.analyze(bytes: Array("template: t\u{0}".utf8), file: "t.yaml")
        #expect(result.errors.map { "\($0.line):\($0.column)" } == ["1:12"])
    }

    @Test func emptyOrCommentOnlyFileIsRejected() {
        expectSingleError("", at: 1, 1, "the template is empty")
        expectSingleError("# nothing here\n\n", at: 1, 1, "the template is empty")
    }

    @Test func multipleDocumentsAreRejectedAtTheSecond() {
        expectSingleError(minimal + "\n---\ntemplate: u\n", at: 12, 1, "exactly one YAML document")
    }

    @Test func tabIndentationIsASyntaxError() {
        let yaml = "template: t\nstates:\n\ta: {}\n"
        let found = analyze(yaml).errors
        #expect(found.count == 1)
        #expect(found.first?.line == 3)
        #expect(found.first?.message.hasPrefix("YAML syntax:") == true)
    }

    @Test func unclosedFlowMappingIsASyntaxErrorWithItsPosition() {
        let found = analyze("template: t\nroles: {lead: Lead\nstages: {}\n").errors
        #expect(found.count == 1)
        #expect(found.first?.message.hasPrefix("YAML syntax:") == true)
        #expect(found.first?.line == 3)
    }

    @Test func duplicateKeyIsReportedAtTheRepetition() {
        let yaml = minimal + "\n  a: {stage: main, title: Again, final: true}"
        expectSingleError(yaml, at: 12, 3, "duplicate key 'a'; it is already defined at line 6")
    }

    @Test func duplicateKeyInFlowStyleIsReportedAtTheRepetition() {
        let yaml = "template: t\nroles: {lead: Lead, qa: QA, lead: Again}\n"
        expectSingleError(yaml, at: 2, 29, "duplicate key 'lead'; it is already defined at line 2, column 9")
    }

    @Test func nodeBudgetStopsTheReader() throws {
        let root = try #require(try YAMLComposer.compose(minimal))
        var decoder = TemplateDecoder(file: "t.yaml", nodeBudget: 20)
        #expect(throws: NodeReader.NodeBudgetExhausted.self) { try decoder.decode(root) }
        var generous = TemplateDecoder(file: "t.yaml", nodeBudget: 1_000)
        #expect(throws: Never.self) { try generous.decode(root) }
    }
}
