/// The rows of one statement, copied out of SQLite.
public struct SQLiteResult: Sendable {
    public let columns: [String]
    public let rows: [SQLiteRow]

    init(columns: [String], values: [[SQLiteValue?]]) {
        self.columns = columns
        // With duplicate column names the first one wins.
        let positions = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        self.rows = values.map { SQLiteRow(names: columns, positions: positions, values: $0) }
    }

    /// The first row, if any — for queries that return at most one.
    public var first: SQLiteRow? { rows.first }
}

/// One result row. The typed accessors throw `.decoding` errors when the
/// column is missing, NULL, or holds another storage class; check `isNull`
/// first for nullable columns.
public struct SQLiteRow: Sendable {
    let names: [String]
    let positions: [String: Int]
    /// Each column's value, nil for NULL.
    public let values: [SQLiteValue?]

    /// A column's value as stored (nil when NULL).
    public func value(_ index: Int) throws(SQLiteError) -> SQLiteValue? {
        guard values.indices.contains(index) else {
            throw decoding("no column at index \(index) (result has \(values.count))")
        }
        return values[index]
    }

    public func value(_ name: String) throws(SQLiteError) -> SQLiteValue? { try value(position(of: name)) }

    public func isNull(_ index: Int) throws(SQLiteError) -> Bool { try value(index) == nil }
    public func isNull(_ name: String) throws(SQLiteError) -> Bool { try value(name) == nil }

    public func string(_ index: Int) throws(SQLiteError) -> String { try string(at: index) }
    public func string(_ name: String) throws(SQLiteError) -> String { try string(at: position(of: name)) }

    public func int64(_ index: Int) throws(SQLiteError) -> Int64 { try int64(at: index) }
    public func int64(_ name: String) throws(SQLiteError) -> Int64 { try int64(at: position(of: name)) }

    /// A REAL column; INTEGER values are widened.
    public func double(_ index: Int) throws(SQLiteError) -> Double { try double(at: index) }
    public func double(_ name: String) throws(SQLiteError) -> Double { try double(at: position(of: name)) }

    /// An INTEGER column holding 0 or 1.
    public func bool(_ index: Int) throws(SQLiteError) -> Bool { try bool(at: index) }
    public func bool(_ name: String) throws(SQLiteError) -> Bool { try bool(at: position(of: name)) }

    public func bytes(_ index: Int) throws(SQLiteError) -> [UInt8] { try bytes(at: index) }
    public func bytes(_ name: String) throws(SQLiteError) -> [UInt8] { try bytes(at: position(of: name)) }

    // MARK: - Decoding

    private func position(of name: String) throws(SQLiteError) -> Int {
        guard let position = positions[name] else {
            throw decoding("no column named \"\(name)\" (result has \(names))")
        }
        return position
    }

    private func nonNull(_ index: Int) throws(SQLiteError) -> SQLiteValue {
        guard let value = try value(index) else { throw decoding("column \"\(names[index])\" is NULL") }
        return value
    }

    private func string(at index: Int) throws(SQLiteError) -> String {
        guard case .text(let text) = try nonNull(index) else { throw mismatch(index, "TEXT") }
        return text
    }

    private func int64(at index: Int) throws(SQLiteError) -> Int64 {
        guard case .integer(let value) = try nonNull(index) else { throw mismatch(index, "INTEGER") }
        return value
    }

    private func double(at index: Int) throws(SQLiteError) -> Double {
        switch try nonNull(index) {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        default: throw mismatch(index, "REAL")
        }
    }

    private func bool(at index: Int) throws(SQLiteError) -> Bool {
        switch try nonNull(index) {
        case .integer(0): return false
        case .integer(1): return true
        default: throw mismatch(index, "a boolean (INTEGER 0 or 1)")
        }
    }

    private func bytes(at index: Int) throws(SQLiteError) -> [UInt8] {
        guard case .blob(let bytes) = try nonNull(index) else { throw mismatch(index, "BLOB") }
        return bytes
    }

    private func mismatch(_ index: Int, _ type: String) -> SQLiteError {
        decoding("column \"\(names[index])\" value \(String(describing: values[index])) is not \(type)")
    }

    private func decoding(_ message: String) -> SQLiteError {
        SQLiteError(code: 20 /* SQLITE_MISMATCH */, message: message, category: .decoding)
    }
}
