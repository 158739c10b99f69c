import ControlProtocol
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately plain protocol client for the end-to-end tests: a blocking
/// Unix socket, requests written as bytes, replies read with the project's
/// `ReplyParser`. Every read has a timeout so a broken server fails the test
/// instead of hanging it.
final class ProtocolClient {
    let fd: Int32
    private var parser = ReplyParser()
    /// `650` events received so far, in order.
    private(set) var events: [Reply] = []
    private(set) var greeting: Reply?

    init(socket path: String, timeoutSeconds: Int = 20) throws {
        fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError("socket() failed: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw ClientError("socket path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(fd)
            throw ClientError("connect(\(path)) failed: errno \(code)")
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        greeting = try readReply()
    }

    deinit { Glibc.close(fd) }

    /// Writes raw bytes (for tests of malformed input).
    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ClientError("send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Sends one request line (and data block) and reads its reply.
    @discardableResult
    func send(_ line: String, data: String? = nil) throws -> Reply {
        var bytes = Array(line.utf8) + [0x0A]
        if let data { bytes += DataBlock.encode(data) }
        try write(bytes)
        return try readReply()
    }

    /// Reads the next complete reply, collecting `650` events on the way.
    func readReply() throws -> Reply {
        while true {
            while let item = try nextParsed() {
                switch item {
                case .event(let event): events.append(event)
                case .reply(let reply): return reply
                }
            }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let n = Glibc.recv(fd, &buffer, buffer.count, 0)
            if n == 0 { throw ClientError.closed }
            guard n > 0 else { throw ClientError("recv failed or timed out: errno \(errno)") }
            parser.feed(buffer[0..<n])
        }
    }

    /// Waits until at least `count` events arrived (or the timeout).
    func waitForEvents(_ count: Int) throws -> [Reply] {
        while events.count < count {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let n = Glibc.recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { throw ClientError("no more events: errno \(errno)") }
            parser.feed(buffer[0..<n])
            while let item = try nextParsed() {
                if case .event(let event) = item { events.append(event) }
            }
        }
        return events
    }

    private func nextParsed() throws -> ReplyParser.Output? {
        do { return try parser.next() } catch { throw ClientError("malformed reply: \(error)") }
    }

    /// True when the server has closed the connection (reads EOF).
    func isClosedByServer() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let n = Glibc.recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
            parser.feed(buffer[0..<n])
        }
    }

    func authenticate(_ user: String, _ password: String) throws {
        let reply = try send("AUTH user=\(user) password=\(Quoting.quotedIfNeeded(password))")
        guard reply.code == .ok else { throw ClientError("AUTH \(user) failed: \(reply)") }
    }
}

struct ClientError: Error, CustomStringConvertible, Equatable {
    var description: String
    init(_ description: String) { self.description = description }
    static let closed = ClientError("connection closed by the server")
}
