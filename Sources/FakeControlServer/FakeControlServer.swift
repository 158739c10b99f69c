import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A scripted stand-in for `atmpd`, for client tests: listens on a temporary
/// Unix socket, accepts connections one after another, greets, and answers
/// each expected request with canned reply text. A request that does not match
/// the script gets `500 syntax unexpected request: …`, so a test sees it.
///
/// Reply text is written with LF line ends; they go out as CRLF.
public final class FakeControlServer: @unchecked Sendable {
    public struct Exchange: Sendable {
        /// The request line expected (without line end); nil accepts any line.
        public var request: String?
        /// Data block lines expected after a `+` request, dot-stuffed as sent.
        public var data: [String]?
        /// What to answer, verbatim (events first, if any, then the reply).
        public var reply: String

        public init(_ request: String?, data: [String]? = nil, reply: String) {
            self.request = request
            self.data = data
            self.reply = reply
        }
    }

    public let path: String
    private let listener: Int32
    private let lock = NSLock()
    private var _requests: [String] = []
    private var _mismatches: [String] = []
    private let done = DispatchSemaphore(value: 0)

    /// Every request line received, data lines included, in order.
    public var requests: [String] { lock.withLock { _requests } }
    /// Requests that did not match the script.
    public var mismatches: [String] { lock.withLock { _mismatches } }

    /// One connection per script in `connections`; `greeting` is sent first on each.
    public init(greeting: String = "220 atmpd version=test protocol=1",
                connections: [[Exchange]]) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fake-atmpd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("s.sock").path
        listener = try Self.listen(path)
        let thread = Thread { [self] in
            for script in connections { serve(script, greeting: greeting) }
            close(listener)
            done.signal()
        }
        thread.start()
    }

    public convenience init(greeting: String = "220 atmpd version=test protocol=1", _ script: [Exchange]) throws {
        try self.init(greeting: greeting, connections: [script])
    }

    /// Waits until every scripted connection has been served (or `seconds` pass).
    @discardableResult
    public func finish(seconds: Int = 10) -> Bool {
        done.wait(timeout: .now() + .seconds(seconds)) == .success
    }

    private static func listen(_ path: String) throws -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0, systemListen(fd, 4) == 0 else {
            throw NSError(domain: "FakeControlServer", code: Int(errno))
        }
        return fd
    }

    private func serve(_ script: [Exchange], greeting: String) {
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var reader = LineReader(fd: fd)
        send(fd, greeting + "\n")
        for exchange in script {
            guard let line = reader.next() else { return }
            lock.withLock { _requests.append(line) }
            var data: [String] = []
            if line.hasPrefix("+") {
                while let dataLine = reader.next() {
                    lock.withLock { _requests.append(dataLine) }
                    if dataLine == "." { break }
                    data.append(dataLine)
                }
            }
            let matches = (exchange.request.map { $0 == line } ?? true) && (exchange.data.map { $0 == data } ?? true)
            if matches {
                send(fd, exchange.reply)
            } else {
                lock.withLock { _mismatches.append(line) }
                send(fd, "500 syntax unexpected request: \(line)\n")
            }
        }
    }

    private func send(_ fd: Int32, _ text: String) {
        var wire = text.replacingOccurrences(of: "\n", with: "\r\n")
        if !wire.hasSuffix("\r\n") && !wire.isEmpty { wire += "\r\n" }
        let bytes = Array(wire.utf8)
        var offset = 0
        while offset < bytes.count {
            #if canImport(Glibc)
            let flags = Int32(MSG_NOSIGNAL)
            #else
            let flags: Int32 = 0
            #endif
            let written = bytes[offset...].withUnsafeBytes { systemSend(fd, $0.baseAddress, $0.count, flags) }
            if written <= 0 { return }
            offset += written
        }
    }

    /// Lines from a socket, LF-terminated, CR dropped.
    private struct LineReader {
        let fd: Int32
        var buffer: [UInt8] = []

        mutating func next() -> String? {
            while true {
                if let lf = buffer.firstIndex(of: 0x0A) {
                    var line = Array(buffer[..<lf])
                    buffer.removeFirst(lf + 1)
                    if line.last == 0x0D { line.removeLast() }
                    return String(decoding: line, as: UTF8.self)
                }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count <= 0 { return nil }
                buffer += chunk[..<count]
            }
        }
    }
}

private func systemListen(_ fd: Int32, _ backlog: Int32) -> Int32 { listen(fd, backlog) }
private func systemSend(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int, _ flags: Int32) -> Int { send(fd, buffer, count, flags) }
