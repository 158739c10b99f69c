/// Where the data lives, as given to `--database`:
/// `sqlite:PATH`, a `postgresql://…` (or `postgres://…`) URI, or a libpq
/// `key=value …` connection string. Anything else is an error naming the forms.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    /// Passed to libpq untouched, so every libpq option and `PG*` variable works.
    case postgres(connectionString: String)

    public init(parsing text: String) throws(StoreError) {
        let trimmed = text.trimmingSpaces
        if trimmed.hasPrefix("sqlite:") {
            var path = String(trimmed.dropFirst("sqlite:".count))
            // Accept sqlite:///abs/path and sqlite://rel as well as sqlite:PATH.
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw StoreError(.failure, "sqlite: needs a file path, e.g. sqlite:/var/lib/atmp/atmp.db") }
            self = .sqlite(path: path)
        } else if trimmed.hasPrefix("postgresql://") || trimmed.hasPrefix("postgres://") {
            self = .postgres(connectionString: trimmed)
        } else if Self.looksLikeKeywordValue(trimmed) {
            self = .postgres(connectionString: trimmed)
        } else {
            throw StoreError(
                .failure,
                "cannot tell what database \(text.debugDescription) is: use sqlite:PATH, postgresql://USER@HOST/DB, "
                    + "or a libpq string such as \"host=/run/postgresql dbname=atmp\"")
        }
    }

    /// `host=… dbname=…`: the first word has a keyword, then `=`.
    private static func looksLikeKeywordValue(_ s: String) -> Bool {
        guard let eq = s.firstIndex(of: "=") else { return false }
        let keyword = s[s.startIndex..<eq]
        return !keyword.isEmpty && keyword.allSatisfy { $0.isLetter || $0 == "_" }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let connectionString): return "postgresql (\(Self.redacted(connectionString)))"
        }
    }

    /// The connection string without its password, for logs.
    static func redacted(_ s: String) -> String {
        var out = s
        // URI form: scheme://user:password@host
        if let scheme = out.range(of: "://"), let at = out[scheme.upperBound...].firstIndex(of: "@") {
            let userInfo = out[scheme.upperBound..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                out.replaceSubrange(colon..<at, with: ":***")
            }
        }
        // key=value form: password=secret
        if let range = out.range(of: "password=") {
            let end = out[range.upperBound...].firstIndex(of: " ") ?? out.endIndex
            out.replaceSubrange(range.upperBound..<end, with: "***")
        }
        return out
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
