/// The shell's command history: bounded, oldest first, no immediate repeats.
///
/// Lines that carry secrets (`AUTH …`, anything with `password=`) are never
/// kept: the history file is plain text in the user's home.
public struct History: Sendable, Hashable {
    public static let defaultLimit = 500

    public let limit: Int
    public private(set) var entries: [String]

    public init(_ entries: [String] = [], limit: Int = History.defaultLimit) {
        self.limit = max(1, limit)
        self.entries = []
        for entry in entries { add(entry) }
    }

    public static func isSecret(_ line: String) -> Bool {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        return trimmed.uppercased().hasPrefix("AUTH") || line.contains("password=")
    }

    public mutating func add(_ line: String) {
        guard !line.allSatisfy({ $0 == " " || $0 == "\t" }), !Self.isSecret(line), entries.last != line else { return }
        entries.append(line)
        if entries.count > limit { entries.removeFirst(entries.count - limit) }
    }

    /// The file form: one entry per line.
    public var fileText: String { entries.map { $0 + "\n" }.joined() }

    public init(fileText: String, limit: Int = History.defaultLimit) {
        self.init(fileText.split(separator: "\n").map(String.init), limit: limit)
    }
}
