import ControlProtocol

/// Reading typed values out of keyed arguments; every malformed one is 501.
enum Arguments {
    /// An integer in `range`, or nil when the key is absent.
    static func integer(_ request: Request, _ key: String, in range: ClosedRange<Int64>) throws(ServiceFailure) -> Int64? {
        guard let text = request[key] else { return nil }
        guard text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int64(text), range.contains(value) else {
            throw .badArgument("\(key)=\(text) is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// `true` or `false`, or nil when absent.
    static func boolean(_ request: Request, _ key: String) throws(ServiceFailure) -> Bool? {
        switch request[key] {
        case nil: return nil
        case "true": return true
        case "false": return false
        case let other?: throw .badArgument("\(key)=\(other) must be true or false")
        }
    }

    /// A template version (`version=N`, N ≥ 1), or nil for the latest.
    static func version(_ request: Request) throws(ServiceFailure) -> Int? {
        try integer(request, "version", in: 1...Int64(Int32.max)).map { Int($0) }
    }

    /// Lowercase hex SHA-256: 64 characters of 0-9 a-f.
    static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}
