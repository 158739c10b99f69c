import AuditLog
import ControlProtocol

/// Replies as JSON for scripts: one document per command.
///
/// Field values stay strings, as on the wire (an attribute `007` must not
/// become 7); only the reply code is a number. Output is canonical JSON
/// (RFC 8785: sorted keys, no blanks), so it is stable for diffs.
///
/// ```
/// {"code":250,"ok":true,"records":[{"fields":{"id":"C-000001",…},"type":"case"}],
///  "status":{"fields":{"count":"1"},"type":"OK","words":[]}}
/// {"code":553,"key":"requirements-unmet","ok":false,"records":[…],"text":"…"}
/// ```
public enum JSONRenderer {
    public static func record(_ record: ReplyRecord) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        // The first of a repeated key wins, as `ReplyRecord[key]` reads it.
        for field in record.fields where fields[field.key] == nil { fields[field.key] = .string(field.value) }
        var object: [String: JSONValue] = ["type": .string(record.type), "fields": .object(fields)]
        if !record.words.isEmpty { object["words"] = .array(record.words.map(JSONValue.string)) }
        if let data = record.data { object["data"] = .string(data) }
        return .object(object)
    }

    /// A whole reply, success or error; `extra` members are merged in
    /// (`events` for AUDIT TRAIL, say).
    public static func reply(_ reply: Reply, extra: [String: JSONValue] = [:]) -> JSONValue {
        var object: [String: JSONValue] = [
            "code": .int(Int64(reply.code.rawValue)),
            "records": .array(reply.records.map(record)),
        ]
        switch reply.final {
        case .success(let status):
            object["ok"] = true
            var statusObject = record(status).objectValue ?? [:]
            statusObject["words"] = .array(status.words.map(JSONValue.string))
            object["status"] = .object(statusObject)
        case .failure(let error):
            object["ok"] = false
            object["key"] = .string(error.key.rawValue)
            object["text"] = .string(error.message)
        }
        object.merge(extra) { _, new in new }
        return .object(object)
    }

    /// A failure that is not a server reply (no connection, a broken reply…):
    /// `code` is null and `key` names the client-side error.
    public static func clientError(_ error: ClientError) -> JSONValue {
        if case .refused(let failure) = error {
            return reply(Reply(code: failure.code, records: failure.records,
                               final: .failure(ProtocolError(ErrorKey.named(failure.key, code: failure.code), failure.text))))
        }
        let key: String
        switch error {
        case .refused: key = "refused"
        case .cannotConnect: key = "cannot-connect"
        case .unexpectedGreeting: key = "unexpected-greeting"
        case .connectionClosed: key = "connection-closed"
        case .timedOut: key = "timed-out"
        case .malformedReply: key = "malformed-reply"
        case .io: key = "io-error"
        case .usage: key = "usage"
        }
        return ["code": nil, "ok": false, "key": .string(key), "text": .string(error.description), "records": []]
    }

    /// The events of an AUDIT TRAIL block, parsed; a line that is not JSON is
    /// kept as a string so nothing the server sent is lost.
    public static func events(_ jsonLines: String) -> JSONValue {
        .array(jsonLines.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            (try? JSONValue.parse(Array(line.utf8))) ?? .string(String(line))
        })
    }

    public static func text(_ value: JSONValue) -> String {
        String(decoding: value.canonicalJSON(), as: UTF8.self)
    }
}
