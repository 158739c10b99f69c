#if canImport(Glibc)
import Glibc
#endif

/// The Unix socket's file: checks before binding, permissions after.
enum SocketFile {
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// Makes `path` free to bind: nothing there is fine; a socket nobody
    /// listens on (left by a crash) is removed; a socket something answers on
    /// means another atmpd runs, and anything else is not ours to delete.
    static func prepare(_ path: String) throws(Problem) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw Problem(description: "cannot inspect \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw Problem(description: "\(path) exists and is not a socket; refusing to replace it")
        }
        if isListening(path) {
            throw Problem(description: "another atmpd is already listening on \(path)")
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw Problem(description: "cannot remove stale socket \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Whether a connection to the socket at `path` is accepted.
    static func isListening(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }

    /// Sets the socket's mode: owner and group may connect, nobody else.
    static func restrict(_ path: String, mode: mode_t = 0o660) throws(Problem) {
        guard chmod(path, mode) == 0 else {
            throw Problem(description: "cannot set mode of \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func remove(_ path: String) { unlink(path) }
}
