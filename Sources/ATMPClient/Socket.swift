#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What ControlConnection reads and writes: a plain socket or a TLS stream.
protocol ByteStream: AnyObject {
    /// A descriptor that polls readable when `read` may have something (the shell waits on it).
    var descriptor: Int32 { get }
    func write(_ bytes: [UInt8]) throws(ClientError)
    /// Bytes available within `timeout` (nil waits for ever); empty at end of stream.
    func read(timeout: Duration?) throws(ClientError) -> [UInt8]
    func close()
}

/// A connected stream socket with blocking writes and polled reads.
///
/// Plain POSIX: a command-line client does one thing at a time, so there is
/// nothing for an event loop to do. Reads wait with `poll` so that a timeout
/// (or none, for `watch`) is a per-call choice.
final class Socket: ByteStream {
    let descriptor: Int32
    private var closed = false
    /// Where `read` receives; reused, so a read allocates only what it returns.
    private var receiveBuffer = [UInt8](repeating: 0, count: 64 * 1024)

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        #if canImport(Darwin)
        var on: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        _ = systemClose(descriptor)
    }

    static func connect(to endpoint: Endpoint, timeout: Duration) throws(ClientError) -> Socket {
        switch endpoint {
        case .unix(let path): return try connectUnix(path: path, timeout: timeout)
        case .tcp(let host, let port): return try connectTCP(host: host, port: port, timeout: timeout)
        }
    }

    private static func connectUnix(path: String, timeout: Duration) throws(ClientError) -> Socket {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard bytes.count < capacity else {
            throw .cannotConnect(endpoint: path, reason: "socket path longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(streamType), 0)
        guard fd >= 0 else { throw .cannotConnect(endpoint: path, reason: errnoText()) }
        let connection = Socket(descriptor: fd)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connection.connect($0, length: socklen_t(MemoryLayout<sockaddr_un>.size), timeout: timeout)
            }
        }
        if let reason = result { throw .cannotConnect(endpoint: path, reason: reason) }
        return connection
    }

    private static func connectTCP(host: String, port: Int, timeout: Duration) throws(ClientError) -> Socket {
        let endpoint = Endpoint.tcp(host: host, port: port).description
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(streamType)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw .cannotConnect(endpoint: endpoint, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var reason = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { reason = errnoText(); continue }
            let connection = Socket(descriptor: fd)
            if let failure = connection.connect(info.pointee.ai_addr, length: info.pointee.ai_addrlen, timeout: timeout) {
                reason = failure
                continue
            }
            return connection
        }
        throw .cannotConnect(endpoint: endpoint, reason: reason)
    }

    /// Connects without blocking past `timeout`; returns why it failed, or nil.
    private func connect(_ address: UnsafePointer<sockaddr>, length: socklen_t, timeout: Duration) -> String? {
        let flags = fcntl(descriptor, F_GETFL, 0)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(descriptor, F_SETFL, flags) }
        if systemConnect(descriptor, address, length) == 0 { return nil }
        guard errno == EINPROGRESS || errno == EAGAIN else { return errnoText() }
        switch Socket.poll(descriptor, events: Int16(POLLOUT), timeout: timeout) {
        case .failed(let why): return why
        case .timedOut: return "timed out"
        case .ready:
            var error: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &size)
            return error == 0 ? nil : String(cString: strerror(error))
        }
    }

    func write(_ bytes: [UInt8]) throws(ClientError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress, raw.count, sendFlags)
            }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE || errno == ECONNRESET { throw .connectionClosed }
                throw .io("write failed: \(errnoText())")
            }
            offset += written
        }
    }

    /// Bytes available within `timeout` (nil waits for ever); empty at end of stream.
    ///
    /// Receives into a buffer kept across calls: `atmpctl bench` reads a
    /// reply per change, and clearing a fresh 64 KiB buffer for each cost it
    /// about a twentieth of its CPU time. (A blocking `recv` with SO_RCVTIMEO
    /// instead of `poll` first saved a system call but lost throughput at 32
    /// connections in alternating runs, so the `poll` stays.)
    func read(timeout: Duration?) throws(ClientError) -> [UInt8] {
        switch Socket.poll(descriptor, events: Int16(POLLIN), timeout: timeout) {
        case .failed(let why): throw .io("read failed: \(why)")
        case .timedOut: throw .timedOut
        case .ready: break
        }
        while true {
            let count = receiveBuffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return Array(receiveBuffer[..<count]) }
            if errno == EINTR { continue }
            if errno == ECONNRESET { return [] }
            throw .io("read failed: \(errnoText())")
        }
    }

    enum PollResult { case ready, timedOut, failed(String) }

    static func poll(_ fd: Int32, events: Int16, timeout: Duration?) -> PollResult {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let milliseconds = timeout.map { Int32(clamping: $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) } ?? -1
        while true {
            let result = systemPoll(&entry, 1, milliseconds)
            if result > 0 { return .ready }
            if result == 0 { return .timedOut }
            if errno != EINTR { return .failed(errnoText()) }
        }
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }

#if canImport(Glibc)
private let streamType = SOCK_STREAM.rawValue
private let sendFlags = Int32(MSG_NOSIGNAL)
#else
private let streamType = SOCK_STREAM
private let sendFlags: Int32 = 0
#endif

// The free functions shadowed by Socket's own method names.
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}
func systemPoll(_ fds: UnsafeMutablePointer<pollfd>, _ count: Int, _ timeout: Int32) -> Int32 {
    poll(fds, nfds_t(count), timeout)
}
