import AuditLog

/// The JSON array of objects that a statement reads with `json_to_recordset`,
/// written straight into bytes.
///
/// Why not `JSONValue`: building a dictionary per row and sorting its keys
/// for canonical output was a tenth of the daemon's CPU per change, and
/// nothing hashes this text — PostgreSQL reads it by member name, so any
/// order will do. String values are escaped as in canonical JSON.
struct RecordsetJSON {
    private var bytes: [UInt8] = [UInt8(ascii: "[")]
    private var rows = 0
    private var fields = 0

    /// Starts the next object; its members follow, then `endRow`.
    mutating func beginRow() {
        if rows > 0 { bytes.append(UInt8(ascii: ",")) }
        rows += 1
        fields = 0
        bytes.append(UInt8(ascii: "{"))
    }

    mutating func endRow() { bytes.append(UInt8(ascii: "}")) }

    mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        CanonicalJSON.appendString(value, to: &bytes)
    }

    mutating func field(_ name: StaticString, _ value: Int64?) {
        key(name)
        if let value { CanonicalJSON.appendInteger(value, to: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
    }

    /// A member whose value is JSON text already — a case body, an event's
    /// data, as the canonical writer made them — written as it is, not as a
    /// string: no escaping here, and PostgreSQL, reading it into a `json`
    /// column, keeps exactly these bytes (`::text` gives them back).
    mutating func field(_ name: StaticString, json text: String) {
        key(name)
        bytes.append(contentsOf: text.utf8)
    }

    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// The rows written so far without the array's brackets, for another
    /// array to take whole with `append(rows:)`.
    var rowsFragment: [UInt8] { Array(bytes.dropFirst()) }

    /// Appends rows encoded elsewhere (a `rowsFragment`); an empty fragment
    /// adds nothing.
    mutating func append(rows fragment: [UInt8]) {
        guard !fragment.isEmpty else { return }
        if rows > 0 { bytes.append(UInt8(ascii: ",")) }
        rows += 1
        bytes.append(contentsOf: fragment)
    }

    /// The array's text.
    var text: String {
        var all = bytes
        all.append(UInt8(ascii: "]"))
        return String(decoding: all, as: UTF8.self)
    }

    /// Member names are fixed ASCII identifiers: written as they are.
    private mutating func key(_ name: StaticString) {
        if fields > 0 { bytes.append(UInt8(ascii: ",")) }
        fields += 1
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(contentsOf: #"":"#.utf8)
    }
}
