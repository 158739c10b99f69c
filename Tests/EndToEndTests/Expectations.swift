import ControlProtocol
import Testing

extension Reply {
    /// The fields of the final `250 OK …` line, or nil for an error.
    var okFields: ReplyRecord? {
        if case .success(let record) = final, code == .ok { return record }
        return nil
    }

    /// The error key of an error reply.
    var errorKey: String? { error?.key.rawValue }

    func records(_ type: String) -> [ReplyRecord] { records.filter { $0.type == type } }
}

/// Expects `250` and returns the final line's record.
@discardableResult
func expectOK(_ reply: Reply, _ what: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation)
    -> ReplyRecord
{
    #expect(reply.code == .ok, "\(what()): \(reply)", sourceLocation: sourceLocation)
    return reply.okFields ?? ReplyRecord("OK")
}

/// Expects an error reply with this code and key.
func expectError(_ reply: Reply, _ code: Int, _ key: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(reply.code.rawValue == code && reply.errorKey == key, "expected \(code) \(key), got \(reply)",
            sourceLocation: sourceLocation)
}
