/// The outcome of one statement: its rows (already copied out of libpq, so a
/// result is a plain value that can be kept and passed around) and the
/// number of rows it affected.
public struct PostgresResult: Sendable {
    /// Column names, in result order.
    public let columns: [String]
    /// The rows, in result order.
    public let rows: [PostgresRow]
    /// Rows inserted, updated, deleted, … (libpq's `PQcmdTuples`); 0 for
    /// statements that do not report a count.
    public let rowsAffected: Int

    init(columns: [String], values: [[String?]], rowsAffected: Int) {
        self.columns = columns
        self.rowsAffected = rowsAffected
        let index = ColumnIndex(columns)
        self.rows = values.map { PostgresRow(columns: index, values: $0) }
    }

    /// The first row, if any — for queries that return at most one.
    public var first: PostgresRow? { rows.first }
}

/// Column name → position, shared by every row of a result.
final class ColumnIndex: Sendable {
    let names: [String]
    let positions: [String: Int]

    init(_ names: [String]) {
        self.names = names
        // With duplicate names (`SELECT 1 AS a, 2 AS a`) the first one wins,
        // as in libpq's PQfnumber.
        self.positions = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// One result row. Values are in PostgreSQL's text format; the typed
/// accessors parse them and throw `.decoding` errors when a column is
/// missing, NULL, or not of the asked-for type. Check `isNull` first for
/// nullable columns.
public struct PostgresRow: Sendable {
    let columns: ColumnIndex
    /// The raw text of each column, nil for NULL.
    public let values: [String?]

    /// The raw text of a column (nil when NULL).
    public func text(_ index: Int) throws(PostgresError) -> String? {
        guard values.indices.contains(index) else {
            throw PostgresError(category: .decoding, message: "no column at index \(index) (result has \(values.count))")
        }
        return values[index]
    }

    public func text(_ name: String) throws(PostgresError) -> String? {
        try text(position(of: name))
    }

    public func isNull(_ index: Int) throws(PostgresError) -> Bool { try text(index) == nil }
    public func isNull(_ name: String) throws(PostgresError) -> Bool { try text(name) == nil }

    public func string(_ index: Int) throws(PostgresError) -> String { try nonNull(index) }
    public func string(_ name: String) throws(PostgresError) -> String { try nonNull(position(of: name)) }

    public func int64(_ index: Int) throws(PostgresError) -> Int64 { try int64(at: index) }
    public func int64(_ name: String) throws(PostgresError) -> Int64 { try int64(at: position(of: name)) }

    public func double(_ index: Int) throws(PostgresError) -> Double { try double(at: index) }
    public func double(_ name: String) throws(PostgresError) -> Double { try double(at: position(of: name)) }

    public func bool(_ index: Int) throws(PostgresError) -> Bool { try bool(at: index) }
    public func bool(_ name: String) throws(PostgresError) -> Bool { try bool(at: position(of: name)) }

    /// A `bytea` column, decoded from the hex output format (the default
    /// since PostgreSQL 9.0).
    public func bytes(_ index: Int) throws(PostgresError) -> [UInt8] { try bytes(at: index) }
    public func bytes(_ name: String) throws(PostgresError) -> [UInt8] { try bytes(at: position(of: name)) }

    // MARK: - Decoding

    private func position(of name: String) throws(PostgresError) -> Int {
        guard let position = columns.positions[name] else {
            throw PostgresError(category: .decoding, message: "no column named \"\(name)\" (result has \(columns.names))")
        }
        return position
    }

    private func nonNull(_ index: Int) throws(PostgresError) -> String {
        guard let text = try text(index) else {
            throw PostgresError(category: .decoding, message: "column \"\(columns.names[index])\" is NULL")
        }
        return text
    }

    private func int64(at index: Int) throws(PostgresError) -> Int64 {
        let text = try nonNull(index)
        guard let value = Int64(text) else { throw mismatch(index, text, "int64") }
        return value
    }

    private func double(at index: Int) throws(PostgresError) -> Double {
        let text = try nonNull(index)
        switch text {
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        case "NaN": return .nan
        default:
            guard let value = Double(text) else { throw mismatch(index, text, "double") }
            return value
        }
    }

    private func bool(at index: Int) throws(PostgresError) -> Bool {
        let text = try nonNull(index)
        switch text {
        case "t": return true
        case "f": return false
        default: throw mismatch(index, text, "bool")
        }
    }

    private func bytes(at index: Int) throws(PostgresError) -> [UInt8] {
        let text = try nonNull(index)
        let utf8 = text.utf8
        guard utf8.starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "x")]),
              let bytes = Hex.decode(utf8.dropFirst(2))
        else { throw mismatch(index, text, "bytea (hex format)") }
        return bytes
    }

    private func mismatch(_ index: Int, _ text: String, _ type: String) -> PostgresError {
        PostgresError(category: .decoding, message: "column \"\(columns.names[index])\" value \(text.prefix(40).debugDescription) is not \(type)")
    }
}
