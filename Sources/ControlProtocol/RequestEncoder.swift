/// Writes requests as a client sends them (for `atmpctl` and tests).
public enum RequestEncoder {
    /// The request line ending in CRLF, followed by `data` as a data block when
    /// given (the request is then sent with `+` whatever `hasData` says).
    /// Values are quoted as needed; positional values always precede keyed ones.
    public static func encode(_ request: Request, data: String? = nil) -> [UInt8] {
        var out: [UInt8] = []
        if request.hasData || data != nil { out.append(ASCII.plus) }
        out.append(contentsOf: request.verb.joined(separator: " ").utf8)
        for value in request.positional {
            out.append(ASCII.space)
            Quoting.append(value, to: &out)
        }
        for field in request.keyed {
            out.append(ASCII.space)
            out.append(contentsOf: field.key.utf8)
            out.append(ASCII.equals)
            Quoting.append(field.value, to: &out)
        }
        out.append(contentsOf: ASCII.crlf)
        if let data { DataBlock.append(data, to: &out) }
        return out
    }
}
