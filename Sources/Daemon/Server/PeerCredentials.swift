import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The OS identity of the process at the other end of a Unix socket.
struct PeerCredentials: Sendable, Equatable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32

    /// Linux's `struct ucred`, laid out as the kernel writes it for SO_PEERCRED.
    private struct UCred: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// Asks the kernel who connected; nil where SO_PEERCRED is unavailable
    /// (not Linux, or not a Unix socket).
    static func of(_ channel: Channel) async -> PeerCredentials? {
        #if os(Linux)
        guard let provider = channel as? SocketOptionProvider else { return nil }
        let future: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET), name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
        guard let cred = try? await future.get() else { return nil }
        return PeerCredentials(pid: cred.pid, uid: cred.uid, gid: cred.gid)
        #else
        return nil
        #endif
    }

    /// The user name of `uid` from the password database, nil if it has none.
    static func userName(of uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4_096)
        let status = getpwuid_r(uid_t(uid), &entry, &buffer, buffer.count, &result)
        guard status == 0, result != nil, let name = entry.pw_name else { return nil }
        return String(cString: name)
    }
}
