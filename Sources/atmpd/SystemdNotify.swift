#if canImport(Glibc)
import Glibc
#endif

/// Tells systemd how the service is doing (`Type=notify` units): one datagram
/// such as `READY=1` to the Unix socket named by `$NOTIFY_SOCKET`. Without that
/// variable (not started by systemd) it does nothing, as sd_notify(3) does.
/// A path starting with `@` names an abstract socket.
enum SystemdNotify {
    /// Sends `state`; returns false if `$NOTIFY_SOCKET` is set but the message
    /// could not be sent (the caller logs it; the daemon runs on regardless).
    @discardableResult
    static func send(_ state: String, socketPath: String? = getenv("NOTIFY_SOCKET").map { String(cString: $0) }) -> Bool {
        guard let path = socketPath, !path.isEmpty else { return true }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            if !abstract { raw[bytes.count] = 0 }
        }
        // An abstract name's length is exact; a path's includes its NUL.
        let length = MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1)
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                sendto(fd, message, message.count, Int32(MSG_NOSIGNAL), socketAddress, socklen_t(length))
            }
        }
        return sent == message.count
    }
}
