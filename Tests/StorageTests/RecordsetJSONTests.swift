import AuditLog
import Testing
@testable import Storage

/// The JSON handed to `json_to_recordset`: valid JSON with exactly the values written.
@Suite struct RecordsetJSONTests {
    @Test func noRowsIsAnEmptyArray() throws {
        #expect(try JSONValue.parse(Array(RecordsetJSON().text.utf8)) == .array([]))
    }

    @Test func rowsHoldTheirValuesEscaped() throws {
        var rows = RecordsetJSON()
        rows.beginRow()
        rows.field("body", #"{"a":"say \"hi\"","b":"\\"}"#)
        rows.field("n", Int64.min)
        rows.field("none", nil as Int64?)
        rows.field("yes", true)
        rows.endRow()
        rows.beginRow()
        rows.field("text", "line\nbreak\u{1} ÅÄÖ 👩‍🔬")
        rows.field("no", false)
        rows.endRow()
        let parsed = try JSONValue.parse(Array(rows.text.utf8))
        #expect(parsed == .array([
            .object(["body": .string(#"{"a":"say \"hi\"","b":"\\"}"#), "n": .int(.min), "none": .null, "yes": .bool(true)]),
            .object(["text": .string("line\nbreak\u{1} ÅÄÖ 👩‍🔬"), "no": .bool(false)]),
        ]))
    }
}
