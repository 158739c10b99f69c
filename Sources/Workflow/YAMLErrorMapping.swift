import Yams

/// Turns the errors Yams throws into a position and a message for people.
enum YAMLErrorMapping {
    static func describe(_ error: YamlError, in text: String) -> (Position, String) {
        switch error {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _):
            return (position(mark), "YAML syntax: \(problem)\(describe(context))")
        case let .composer(context, problem, mark, _):
            if problem == "found undefined alias" {
                return (position(mark), "anchors (&name) and aliases (*name) are not supported in templates; write the value out")
            }
            if problem == "but found another document" {
                return (position(mark), "a template file holds exactly one YAML document; found another here")
            }
            return (position(mark), "YAML: \(problem)\(describe(context))")
        case let .reader(problem, offset, _, _):
            let at = offset.map { TextPosition.of(byteOffset: $0, in: text.utf8) } ?? .start
            return (at, "unreadable text: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? ""
            let first = position(context.mark)
            let repeated = DuplicateKeyLocator.secondOccurrence(of: key, firstAt: first, in: text)
            if let repeated {
                return (repeated, "duplicate key '\(key)'; it is already defined at line \(first.line)")
            }
            return (first, "duplicate key '\(key)' in this mapping")
        default:
            return (.start, "cannot read the template as YAML: \(error)")
        }
    }

    private static func position(_ mark: Mark) -> Position {
        Position(line: max(mark.line, 1), column: max(mark.column, 1))
    }

    private static func describe(_ context: YamlError.Context?) -> String {
        guard let context else { return "" }
        return " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
    }
}

/// Yams reports a duplicate key at its FIRST occurrence; people want to see the
/// repeated one. In block style, siblings share a column, so the next line at
/// that indentation starting with the same key is it. Flow style falls back
/// to the first occurrence.
enum DuplicateKeyLocator {
    static func secondOccurrence(of key: String, firstAt first: Position, in text: String) -> Position? {
        let indentation = first.column - 1
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            guard lineNumber > first.line else { continue }
            let content = line.drop { $0 == " " }
            let lineIndent = line.count - content.count
            if content.isEmpty || content.hasPrefix("#") { continue }
            if lineIndent < indentation { return nil }  // the mapping has ended
            guard lineIndent == indentation else { continue }
            for spelling in [key, "\"\(key)\"", "'\(key)'"] where content.hasPrefix(spelling) {
                let rest = content.dropFirst(spelling.count).drop { $0 == " " }
                if rest.hasPrefix(":") { return Position(line: lineNumber, column: first.column) }
            }
        }
        return nil
    }
}
