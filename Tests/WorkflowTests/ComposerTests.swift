import Foundation
import Testing
@testable import Workflow

/// The YAML composer on its own, and what it adds to the loader: anchors
/// refused at the parser event (not by scanning text), every duplicate key
/// reported at its repetition, an exact depth limit, libyaml errors in place.
@Suite struct ComposerTests {
    /// The composer's problems as `LINE:COLUMN: MESSAGE`; empty when it composed.
    func problems(_ yaml: String, maxDepth: Int = TemplateLimits.maxNestingDepth) -> [String] {
        do {
            _ = try YAMLComposer.compose(yaml, maxDepth: maxDepth)
            return []
        } catch {
            return error.problems.map { "\($0.at.line):\($0.at.column): \($0.message)" }
        }
    }

    @Test func buildsOrderedMappingsSequencesAndScalarsWithPositions() throws {
        let yaml = "b: 1\na:\n  - x\n  - 'y'\n  - |\n    z\nc: {d: ~}\n"
        let root = try #require(try YAMLComposer.compose(yaml))
        guard case .mapping(let mapping) = root else { Issue.record("not a mapping: \(root)"); return }
        #expect(mapping.pairs.map { NodeReader.describe($0.key) } == ["'b'", "'a'", "'c'"])
        #expect(mapping.at == Position(line: 1, column: 1))
        guard case .sequence(let list) = mapping.pairs[1].value else { Issue.record("not a list"); return }
        #expect(list.at == Position(line: 3, column: 3))
        let scalars = list.items.compactMap { node -> YAMLScalar? in
            if case .scalar(let s) = node { return s } else { return nil }
        }
        #expect(scalars.map(\.text) == ["x", "y", "z\n"])
        #expect(scalars.map(\.style) == [.plain, .singleQuoted, .literal])
        #expect(scalars.map(\.at) == [Position(line: 3, column: 5), Position(line: 4, column: 5), Position(line: 5, column: 5)])
        guard case .mapping(let inner) = mapping.pairs[2].value else { Issue.record("not a mapping"); return }
        #expect(NodeReader.isNull(inner.pairs[0].value))
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let root = try #require(try YAMLComposer.compose("åäö: x"))
        guard case .mapping(let mapping) = root else { Issue.record("not a mapping"); return }
        #expect(mapping.pairs[0].value.at == Position(line: 1, column: 6))
    }

    @Test func emptyTextHasNoDocument() throws {
        #expect(try YAMLComposer.compose("") == nil)
        #expect(try YAMLComposer.compose("# only a comment\n") == nil)
    }

    @Test func everyDuplicateKeyIsReportedAtItsRepetition() {
        let yaml = """
        a: 1
        b: {x: 1, y: 2, x: 3, y: 4}
        a: 2
        "b": 3
        """
        #expect(problems(yaml) == [
            "2:17: duplicate key 'x'; it is already defined at line 2, column 5",
            "2:23: duplicate key 'y'; it is already defined at line 2, column 11",
            "3:1: duplicate key 'a'; it is already defined at line 1, column 1",
            "4:1: duplicate key 'b'; it is already defined at line 2, column 1",
        ])
    }

    @Test func duplicatesInLargeMappingsAreFoundToo() {
        // More keys than the pairwise comparison handles: the hashed path.
        var yaml = (0..<50).map { "k\($0): v" }.joined(separator: "\n")
        yaml += "\nk7: again\nk49: again\n"
        #expect(problems(yaml) == [
            "51:1: duplicate key 'k7'; it is already defined at line 8, column 1",
            "52:1: duplicate key 'k49'; it is already defined at line 50, column 1",
        ])
    }

    @Test func everyDuplicateReachesTheLoaderAndNothingElseIsReported() {
        let yaml = minimal + "\n  a: {stage: main}\n  b: {stage: main}"
        #expect(errors(yaml) == [
            "12:3: duplicate key 'a'; it is already defined at line 6, column 3",
            "13:3: duplicate key 'b'; it is already defined at line 11, column 3",
        ])
    }

    @Test func anchorsAreRefusedWhereTheyAreOnEveryKindOfNode() {
        let message = "anchors (&name) and aliases (*name) are not supported"
        expectSingleError("template: &t t\n", at: 1, 11, message)
        expectSingleError("template: t\nroles: &r {lead: Lead}\n", at: 2, 8, message)
        expectSingleError("template: t\nopen-roles: &r [lead]\n", at: 2, 13, message)
        expectSingleError("template: t\n&k roles: {}\n", at: 2, 1, message)
    }

    @Test func anchorLikeTextInQuotesIsText() throws {
        for title in [#""see &ref""#, "'&anchor and *alias'", #""*star""#] {
            let yaml = minimal.replacingOccurrences(of: "title: A", with: "title: \(title)")
            let template = try TemplateLoader.load(yaml: yaml, file: "t.yaml").get()
            #expect(template.state("a")?.title == String(title.dropFirst().dropLast()))
        }
    }

    @Test func depthLimitIsExact() {
        let nested = { (depth: Int) in String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        #expect(problems(nested(8), maxDepth: 8) == [])
        #expect(problems(nested(9), maxDepth: 8) == ["1:9: nesting deeper than 8 levels; templates never need that"])
        #expect(problems("a:\n  b:\n    c: x\n", maxDepth: 3) == [])
        #expect(problems("a:\n  b:\n    c:\n      d: x\n", maxDepth: 3)
            == ["4:7: nesting deeper than 3 levels; templates never need that"])
    }

    @Test func syntaxErrorsKeepLibyamlsPositionAndContext() {
        #expect(problems("template: t\nroles: {lead: Lead\nstages: {}\n") == [
            "3:7: YAML syntax: did not find expected ',' or '}' (while parsing a flow mapping at line 2, column 8)",
        ])
    }

    @Test func aSecondDocumentIsRefusedAtItsStart() {
        #expect(problems("a: 1\n---\nb: 2\n") == [
            "2:1: a template file holds exactly one YAML document; found another here",
        ])
        #expect(problems("a: 1\n...\n") == [])
    }
}
