/// A one-dimensional array parameter — `text[]`, `bigint[]`, `integer[]` or
/// `boolean[]` — sent in PostgreSQL's binary format.
///
/// Why binary: a statement that takes many rows at once (`SELECT * FROM
/// unnest($1::text[], $2::bigint[], …)`) otherwise has the server parse them
/// from text — an array literal, or JSON for `json_to_recordset` — and that
/// parse was the largest single cost of a group-commit batch in the server
/// (json_lex and its hash tables, about a fifth of the backend's time). In
/// binary form the server copies each element as it is.
///
/// Elements can be appended as values or as bytes encoded earlier with
/// `PostgresArray.encode` (by another thread, say), one row at a time:
///
///     var ids = PostgresArray(of: .text), versions = PostgresArray(of: .int8)
///     ids.append("C-000001"); versions.append(Int64(7))
///     try conn.execute("SELECT * FROM unnest($1::text[], $2::bigint[])", [.array(ids), .array(versions)])
///
/// The statement must say the array's type (`$1::text[]`): the server checks
/// that the element type sent is the one it expects.
public struct PostgresArray: Sendable, Hashable {
    /// The element types offered, by their PostgreSQL type OIDs.
    public enum ElementType: UInt32, Sendable {
        case bool = 16
        case int8 = 20
        case int4 = 23
        case text = 25
    }

    public let elementType: ElementType
    public private(set) var count = 0
    private var hasNull = false
    /// The elements as the wire format has them: each a big-endian Int32
    /// length (-1 for NULL) and that many bytes.
    private var elements: [UInt8] = []

    public init(of elementType: ElementType) {
        self.elementType = elementType
    }

    // MARK: Appending values

    /// Appends a text element (`elementType` must be `.text`).
    public mutating func append(_ value: String?) {
        precondition(elementType == .text, "a text element appended to a \(elementType) array")
        Self.encode(value, into: &elements)
        counted(null: value == nil)
    }

    /// Appends a `bigint` element (`elementType` must be `.int8`).
    public mutating func append(_ value: Int64?) {
        precondition(elementType == .int8, "a bigint element appended to a \(elementType) array")
        Self.encode(value, into: &elements)
        counted(null: value == nil)
    }

    /// Appends an `integer` element (`elementType` must be `.int4`).
    public mutating func append(_ value: Int32?) {
        precondition(elementType == .int4, "an integer element appended to a \(elementType) array")
        Self.encode(value, into: &elements)
        counted(null: value == nil)
    }

    /// Appends a `boolean` element (`elementType` must be `.bool`).
    public mutating func append(_ value: Bool?) {
        precondition(elementType == .bool, "a boolean element appended to a \(elementType) array")
        Self.encode(value, into: &elements)
        counted(null: value == nil)
    }

    // MARK: Elements encoded elsewhere

    /// Encodes one element as an array holds it, at the end of `bytes`.
    /// Several elements encoded one after the other make a row that
    /// `appendEncoded(from:at:)` takes apart again, one element per array.
    public static func encode(_ value: String?, into bytes: inout [UInt8]) {
        guard let value else { return appendNull(to: &bytes) }
        let start = bytes.count
        appendLength(0, to: &bytes)
        bytes.append(contentsOf: value.utf8)
        let length = UInt32(bytes.count - start - 4)
        for i in 0..<4 { bytes[start + i] = UInt8(truncatingIfNeeded: length >> (24 - 8 * i)) }
    }

    public static func encode(_ value: Int64?, into bytes: inout [UInt8]) {
        guard let value else { return appendNull(to: &bytes) }
        appendLength(8, to: &bytes)
        let bits = UInt64(bitPattern: value)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (56 - 8 * i))) }
    }

    public static func encode(_ value: Int32?, into bytes: inout [UInt8]) {
        guard let value else { return appendNull(to: &bytes) }
        appendLength(4, to: &bytes)
        let bits = UInt32(bitPattern: value)
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (24 - 8 * i))) }
    }

    public static func encode(_ value: Bool?, into bytes: inout [UInt8]) {
        guard let value else { return appendNull(to: &bytes) }
        appendLength(1, to: &bytes)
        bytes.append(value ? 1 : 0)
    }

    /// Appends the element that starts at `offset` of `row` (written by
    /// `encode`) and moves `offset` past it. The caller vouches that it was
    /// encoded for this array's element type; the server refuses one that
    /// was not (a wrong length for the type) — it cannot tell `text` apart.
    public mutating func appendEncoded(from row: [UInt8], at offset: inout Int) {
        precondition(offset + 4 <= row.count, "no encoded element at offset \(offset)")
        var length: Int32 = 0
        for i in 0..<4 { length = length << 8 | Int32(row[offset + i]) }
        let end = offset + 4 + max(0, Int(length))
        precondition(end <= row.count, "an encoded element runs past the end of its row")
        elements.append(contentsOf: row[offset..<end])
        offset = end
        counted(null: length < 0)
    }

    private mutating func counted(null: Bool) {
        count += 1
        if null { hasNull = true }
    }

    // MARK: The wire format

    /// `array_send`'s format: dimensions, a has-NULLs flag, the element type,
    /// then per dimension its size and lower bound (1), then the elements.
    /// An empty array has no dimensions.
    var binaryEncoding: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20 + elements.count)
        Self.appendLength(count == 0 ? 0 : 1, to: &bytes)
        Self.appendLength(hasNull ? 1 : 0, to: &bytes)
        Self.appendLength(Int32(bitPattern: elementType.rawValue), to: &bytes)
        if count > 0 {
            Self.appendLength(Int32(count), to: &bytes)
            Self.appendLength(1, to: &bytes)
        }
        bytes.append(contentsOf: elements)
        return bytes
    }

    private static func appendNull(to bytes: inout [UInt8]) { appendLength(-1, to: &bytes) }

    private static func appendLength(_ value: Int32, to bytes: inout [UInt8]) {
        let bits = UInt32(bitPattern: value)
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (24 - 8 * i))) }
    }
}
