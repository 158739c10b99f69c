import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct ClientError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A plain blocking socket client, as a script or `nc` would be. Every read
/// has a receive timeout, and blocking calls run on a thread of their own so
/// they never hold one of Swift concurrency's few threads (nor GCD's, which
/// are as few as the cores).
public final class TestClient: @unchecked Sendable {  // used by one test at a time
    public let fd: Int32
    private var buffer: [UInt8] = []

    public init(unixSocket path: String, timeoutSeconds: Int = 10) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError("socket failed") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw ClientError("connect to \(path) failed: \(String(cString: strerror(errno)))")
        }
    }

    /// A plain TCP connection to 127.0.0.1:`port`.
    public init(loopbackPort port: Int, timeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError("socket failed") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw ClientError("connect to 127.0.0.1:\(port) failed: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// Ends the connection now (the server reads end of file), without
    /// waiting for the last reference to go; the descriptor is closed later.
    public func hangUp() { shutdown(fd, Int32(SHUT_RDWR)) }

    /// Sends end of file but goes on reading (a half-close).
    public func shutDownWriting() { shutdown(fd, Int32(SHUT_WR)) }

    /// A small receive buffer, so that a client that never reads backs the server up quickly.
    public func shrinkReceiveBuffer() {
        var size: Int32 = 4_096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    public func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) async throws {
        let fd = self.fd
        try await Self.offload {
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw ClientError("send failed: \(String(cString: strerror(errno)))") }
                sent += n
            }
        }
    }

    /// The next line without CR LF; nil at end of stream. Throws on timeout.
    public func readLine() async throws -> String? {
        while true {
            if let lf = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<lf])
                buffer.removeSubrange(...lf)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            let fd = self.fd
            let chunk: [UInt8]? = try await Self.offload {
                var bytes = [UInt8](repeating: 0, count: 65_536)
                var n = recv(fd, &bytes, bytes.count, 0)
                while n < 0 && errno == EINTR { n = recv(fd, &bytes, bytes.count, 0) }
                if n < 0 {
                    if errno == ECONNRESET { return nil }
                    throw ClientError("read failed: \(String(cString: strerror(errno)))")
                }
                return n == 0 ? nil : Array(bytes[..<n])
            }
            guard let chunk else { return nil }
            buffer.append(contentsOf: chunk)
        }
    }

    /// A whole reply: lines up to and including the final one (`CODE SP …`).
    /// `650` event lines in between are skipped.
    public func readReply() async throws -> [String] {
        var lines: [String] = []
        while let line = try await readLine() {
            if line.hasPrefix("650 ") { continue }
            lines.append(line)
            let bytes = Array(line.utf8)
            if bytes.count >= 4 && bytes[3] == 0x20 { return lines }
        }
        throw ClientError("connection closed in the middle of a reply: \(lines)")
    }

    /// The final line of the next reply.
    public func readFinal() async throws -> String {
        try await readReply().last!
    }

    /// Reads until end of stream (bounded by the timeout) and returns the lines read.
    public func readToEnd() async throws -> [String] {
        var lines: [String] = []
        while let line = try await readLine() { lines.append(line) }
        return lines
    }

    private static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }
}
