import ControlProtocol
import Crypto
import Storage

/// `idem=KEY` on a change: the same user repeating the same request with the
/// same key gets the first reply again and changes nothing; the same key on a
/// different request is 555.
enum Idempotency {
    /// SHA-256 over a canonical form of the request: the verb, the positional
    /// arguments, and the keyed ones sorted by key, without `idem` itself and
    /// without password values (the digest is stored; a password never is).
    /// Each item is length-prefixed, so no two requests share a form.
    static func digest(_ request: Request) -> String {
        var items = [request.command] + request.positional.map { "p:" + $0 }
        for field in request.keyed.sorted(by: { $0.key < $1.key }) where field.key != "idem" {
            items.append("k:" + field.key + "=" + (field.key == "password" ? "" : field.value))
        }
        var bytes: [UInt8] = []
        for item in items {
            bytes += Array(String(item.utf8.count).utf8) + [0x3A] + Array(item.utf8)
        }
        return CommandService.sha256Hex(bytes)
    }

    /// The stored reply text back as a reply.
    static func replay(_ text: String) -> Reply? {
        var parser = ReplyParser()
        parser.feed(text)
        guard case .reply(let reply)? = try? parser.next() else { return nil }
        return reply
    }

    static func encode(_ reply: Reply) -> String {
        String(decoding: ReplyEncoder.encode(reply), as: UTF8.self)
    }
}
