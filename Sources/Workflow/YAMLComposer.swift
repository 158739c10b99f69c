// libyaml is vendored by Yams as its C target `CYaml`. SwiftPM hands the module
// maps of a product's C targets to every target that depends on the product,
// so `import CYaml` works here through our dependency on the Yams package:
// Yams stays the package we depend on; we only skip its `Node` composer.
import CYaml

/// Builds a `YAMLNode` tree from libyaml's parse events.
///
/// Why not `Yams.compose`: its `Node` tree is heavy (every node carries a tag,
/// a resolver and a constructor; nodes are copied a lot; duplicate keys are
/// found by hashing every key node), and it dominated the load time of large
/// templates. This composer keeps only what the template schema reads.
///
/// It is also stricter about hostile input, and says where the problem is:
/// - anchors and aliases are refused at the first one, at its position, before
///   anything is expanded (no "billion laughs"); anchor-like text inside quotes
///   is just text;
/// - collections nested deeper than `maxDepth` are refused. The composer keeps an
///   explicit stack instead of recursing, so depth could never overflow the
///   thread stack anyway; the limit keeps trees (and their recursive release) small;
/// - every repeated mapping key is reported at the repetition, with the line of
///   the first one, in block and flow style alike;
/// - more than one document is refused at the start of the second;
/// - libyaml's own errors keep their position and context.
enum YAMLComposer {
    struct Problem: Error, Sendable, Equatable {
        var at: Position
        var message: String
    }

    /// Why the text could not be composed: every problem found, in text order
    /// for duplicates (a syntax or structural error ends the search).
    struct Failure: Error, Sendable, Equatable {
        var problems: [Problem]
    }

    static let anchorMessage = "anchors (&name) and aliases (*name) are not supported in templates; write the value out"

    /// The single document of `yaml`, or nil when the text holds no document
    /// (empty, or only comments).
    static func compose(
        _ yaml: String, maxDepth: Int = TemplateLimits.maxNestingDepth
    ) throws(Failure) -> YAMLNode? {
        var text = yaml
        // `withUTF8` makes the text contiguous if it is not already (a native
        // Swift string always is), so libyaml reads it in place without a copy.
        // (`withUTF8` is not typed-throws, so the outcome travels as a Result.)
        let outcome = text.withUTF8 { bytes in
            Result { () throws(Failure) in try compose(utf8: bytes, maxDepth: maxDepth) }
        }
        return try outcome.get()
    }

    static func compose(utf8 bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) throws(Failure) -> YAMLNode? {
        // Heap-allocated on purpose: for string input libyaml keeps a pointer to
        // the parser struct itself, so its address must not move.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
        defer {
            yaml_parser_delete(parser)
            parser.deallocate()
            event.deallocate()
        }
        guard yaml_parser_initialize(parser) == 1 else {
            throw Failure(problems: [Problem(at: .start, message: "cannot start the YAML parser (out of memory)")])
        }
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, bytes.baseAddress, bytes.count)

        var builder = TreeBuilder(maxDepth: maxDepth)
        while true {
            guard yaml_parser_parse(parser, event) == 1 else {
                throw Failure(problems: builder.duplicates + [libyamlProblem(parser.pointee, in: bytes)])
            }
            defer { yaml_event_delete(event) }
            if event.pointee.type == YAML_STREAM_END_EVENT { break }
            do {
                try builder.accept(event.pointee)
            } catch {
                throw Failure(problems: builder.duplicates + [error])
            }
        }
        if !builder.duplicates.isEmpty { throw Failure(problems: builder.duplicates) }
        return builder.root
    }

    /// libyaml's error as a problem at its line and column, with its context
    /// ("while parsing a flow mapping at line 2, column 8") when it gives one.
    static func libyamlProblem(_ parser: yaml_parser_t, in bytes: UnsafeBufferPointer<UInt8>) -> Problem {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        switch parser.error {
        case YAML_READER_ERROR:
            // Reader errors carry a byte offset rather than a mark.
            let at = TextPosition.of(byteOffset: Int(parser.problem_offset), in: bytes)
            if parser.problem_value == 0 { return Problem(at: at, message: "NUL byte in template text") }
            return Problem(at: at, message: "unreadable text: \(problem)")
        case YAML_SCANNER_ERROR, YAML_PARSER_ERROR:
            var context = ""
            if let text = parser.context {
                let mark = position(parser.context_mark)
                context = " (\(String(cString: text)) at line \(mark.line), column \(mark.column))"
            }
            return Problem(at: position(parser.problem_mark), message: "YAML syntax: \(problem)\(context)")
        case YAML_MEMORY_ERROR:
            return Problem(at: .start, message: "out of memory while reading the template")
        default:
            return Problem(at: position(parser.problem_mark), message: "cannot read the template as YAML: \(problem)")
        }
    }

    static func position(_ mark: yaml_mark_t) -> Position {
        Position(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }
}

/// The composer's state between events: the collections still open, innermost last.
private struct TreeBuilder {
    /// A mapping or sequence whose end event has not come yet.
    struct OpenCollection {
        var isMapping: Bool
        var at: Position
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        /// A mapping's key waiting for its value.
        var pendingKey: YAMLNode?
    }

    let maxDepth: Int
    var open: [OpenCollection] = []
    var root: YAMLNode?
    var documents = 0
    /// Repeated keys found so far; they fail the composition once it is complete,
    /// so that every repetition is reported in one go.
    var duplicates: [YAMLComposer.Problem] = []

    init(maxDepth: Int) {
        self.maxDepth = maxDepth
        open.reserveCapacity(16)
    }

    mutating func accept(_ event: yaml_event_t) throws(YAMLComposer.Problem) {
        let at = YAMLComposer.position(event.start_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                throw YAMLComposer.Problem(
                    at: at, message: "a template file holds exactly one YAML document; found another here")
            }
        case YAML_ALIAS_EVENT:
            throw YAMLComposer.Problem(at: at, message: YAMLComposer.anchorMessage)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            if scalar.anchor != nil { throw YAMLComposer.Problem(at: at, message: YAMLComposer.anchorMessage) }
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            add(.scalar(YAMLScalar(text: text, style: Self.style(scalar.style), at: at)))
        case YAML_SEQUENCE_START_EVENT:
            if event.data.sequence_start.anchor != nil {
                throw YAMLComposer.Problem(at: at, message: YAMLComposer.anchorMessage)
            }
            try openCollection(isMapping: false, at: at)
        case YAML_MAPPING_START_EVENT:
            if event.data.mapping_start.anchor != nil {
                throw YAMLComposer.Problem(at: at, message: YAMLComposer.anchorMessage)
            }
            try openCollection(isMapping: true, at: at)
        case YAML_SEQUENCE_END_EVENT:
            let sequence = open.removeLast()
            add(.sequence(YAMLSequence(items: sequence.items, at: sequence.at)))
        case YAML_MAPPING_END_EVENT:
            let mapping = open.removeLast()
            findDuplicateKeys(in: mapping.pairs)
            add(.mapping(YAMLMapping(pairs: mapping.pairs, at: mapping.at)))
        default:
            break  // stream start, document end: nothing to build
        }
    }

    private mutating func openCollection(isMapping: Bool, at: Position) throws(YAMLComposer.Problem) {
        if open.count >= maxDepth {
            throw YAMLComposer.Problem(
                at: at, message: "nesting deeper than \(maxDepth) levels; templates never need that")
        }
        open.append(OpenCollection(isMapping: isMapping, at: at))
    }

    /// Adds a finished node to the innermost open collection (or makes it the root).
    private mutating func add(_ node: YAMLNode) {
        guard !open.isEmpty else {
            root = node
            return
        }
        let last = open.count - 1
        if !open[last].isMapping {
            open[last].items.append(node)
        } else if let key = open[last].pendingKey {
            open[last].pairs.append(YAMLPair(key: key, value: node))
            open[last].pendingKey = nil
        } else {
            open[last].pendingKey = node
        }
    }

    /// Reports each text key that repeats an earlier key of the same mapping, at
    /// the repetition. Keys compare by their text whatever their quoting (`a`,
    /// `'a'` and `"a"` are one key), because the loader reads every key as text.
    /// Non-text keys are left to the reader, which refuses them.
    private mutating func findDuplicateKeys(in pairs: [YAMLPair]) {
        func report(_ key: YAMLScalar, first: Position) {
            duplicates.append(YAMLComposer.Problem(
                at: key.at,
                message: "duplicate key '\(key.text)'; it is already defined at line \(first.line), column \(first.column)"))
        }
        if pairs.count <= 12 {
            // A handful of keys (most mappings): comparing pairs beats hashing.
            for i in pairs.indices {
                guard case .scalar(let key) = pairs[i].key else { continue }
                for j in 0..<i {
                    if case .scalar(let earlier) = pairs[j].key, earlier.text == key.text {
                        report(key, first: earlier.at)
                        break
                    }
                }
            }
        } else {
            var seen: [String: Position] = [:]
            seen.reserveCapacity(pairs.count)
            for pair in pairs {
                guard case .scalar(let key) = pair.key else { continue }
                if let first = seen[key.text] {
                    report(key, first: first)
                } else {
                    seen[key.text] = key.at
                }
            }
        }
    }

    private static func style(_ style: yaml_scalar_style_t) -> YAMLScalar.Style {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }
}
