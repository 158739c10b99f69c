import ControlProtocol

/// Reply records as people read them: aligned tables, one per run of records
/// of the same type, columns in the order the fields first appear.
///
/// Widths count characters, not terminal cells: East Asian wide characters
/// will misalign, which is acceptable for ids, states and titles.
public enum TableRenderer {
    /// Every run of same-type records as a table; runs are separated by a blank
    /// line and, when there is more than one, headed by their type. Data blocks
    /// follow the table of their record.
    public static func render(_ records: [ReplyRecord]) -> String {
        let groups = runs(of: records)
        var out: [String] = []
        for group in groups {
            var block = ""
            if groups.count > 1 { block += group[0].type + ":\n" }
            block += table(group)
            for record in group { if let data = record.data { block += data } }
            out.append(block)
        }
        return out.joined(separator: "\n")
    }

    /// One table: a header of upper-cased field keys, then a row per record.
    /// A record without some column leaves its cell empty (`-` would be a value).
    public static func table(_ records: [ReplyRecord]) -> String {
        var columns: [String] = []
        for record in records {
            for field in record.fields where !columns.contains(field.key) { columns.append(field.key) }
        }
        if columns.isEmpty {
            return records.map { ([$0.type] + $0.words).joined(separator: " ") + "\n" }.joined()
        }
        let rows = [columns.map { $0.uppercased() }] + records.map { record in columns.map { record[$0] ?? "" } }
        var widths = columns.map { _ in 0 }
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            var line = ""
            for (i, cell) in row.enumerated() {
                if i == row.count - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[i] - cell.count + 2)
                }
            }
            return trimmingTrailingSpaces(line) + "\n"
        }.joined()
    }

    /// One record as `key  value` lines, keys aligned: for a single case.
    public static func details(_ record: ReplyRecord) -> String {
        let width = record.fields.map(\.key.count).max() ?? 0
        return record.fields.map { field in
            field.key + String(repeating: " ", count: width - field.key.count + 2) + field.value + "\n"
        }.joined()
    }

    /// A record as on the wire without the code: `missing kind=document name=…`.
    public static func line(_ record: ReplyRecord) -> String {
        ([record.type] + record.words.map(Quoting.quotedIfNeeded) + record.fields.map(\.description))
            .joined(separator: " ")
    }

    /// Consecutive records of the same type.
    static func runs(of records: [ReplyRecord]) -> [[ReplyRecord]] {
        var groups: [[ReplyRecord]] = []
        for record in records {
            if let last = groups.last?.last, last.type == record.type {
                groups[groups.count - 1].append(record)
            } else {
                groups.append([record])
            }
        }
        return groups
    }

    private static func trimmingTrailingSpaces(_ line: String) -> String {
        var line = line
        while line.last == " " { line.removeLast() }
        return line
    }
}
