/// One finding about a template file, positioned like a compiler message so
/// editors can link it: `FILE:LINE:COLUMN: error: MESSAGE`.
///
/// Lines and columns are 1-based; columns count Unicode scalars, as libyaml does.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Equatable {
        case error, warning
    }

    public var file: String
    public var line: Int
    public var column: Int
    public var severity: Severity
    public var message: String

    public init(file: String, line: Int, column: Int, severity: Severity, message: String) {
        self.file = file; self.line = line; self.column = column
        self.severity = severity; self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(severity.rawValue): \(message)" }
}

/// Why a template was rejected: every error found (and any warnings), in file order.
public struct TemplateErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }

    /// One diagnostic per line, ready to print.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// A position in the template text (1-based line and column).
struct Position: Sendable, Equatable, Comparable {
    var line: Int
    var column: Int

    static let start = Position(line: 1, column: 1)

    static func < (a: Position, b: Position) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}

/// Collects diagnostics for one file while the loader works through it.
struct DiagnosticSink {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    mutating func error(_ at: Position, _ message: String) {
        diagnostics.append(Diagnostic(file: file, line: at.line, column: at.column, severity: .error, message: message))
    }

    mutating func warning(_ at: Position, _ message: String) {
        diagnostics.append(Diagnostic(file: file, line: at.line, column: at.column, severity: .warning, message: message))
    }

    /// Diagnostics sorted by position; equal positions keep the order they were found in.
    var sorted: [Diagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let pa = (a.element.line, a.element.column), pb = (b.element.line, b.element.column)
            return pa != pb ? pa < pb : a.offset < b.offset
        }.map(\.element)
    }
}
