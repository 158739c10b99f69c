import Foundation
import SocketTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `Type=notify`: atmpd tells the socket in `$NOTIFY_SOCKET` that it is ready
/// once it listens, and that it is stopping on SIGTERM.
@Suite("systemd readiness")
struct SystemdNotifyTests {
    /// A datagram socket standing in for systemd's notification socket.
    final class NotifySocket {
        let path: String
        let fd: Int32

        init(path: String) throws {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { throw RunError("socket: \(errno)") }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard bound == 0 else { throw RunError("bind \(path): \(errno)") }
        }

        deinit { close(fd) }

        /// The next message, waiting at most `seconds` in poll(2) — a blocking
        /// wait, so it does not depend on the cooperative pool being free
        /// while other tests block on their processes.
        func receive(seconds: Double = 120) -> String? {
            var buffer = [UInt8](repeating: 0, count: 4_096)
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, Int32(seconds * 1_000)) > 0 else { return nil }
            let n = recv(fd, &buffer, buffer.count, 0)
            return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
        }
    }

    @Test func readyWhenListeningAndStoppingOnSIGTERM() async throws {
        let directory = try temporaryDirectory()
        let notify = try NotifySocket(path: "\(directory)/notify.sock")
        let socket = "\(directory)/atmpd.sock"
        let daemon = try Daemon(
            ["--database", "sqlite:\(directory)/atmp.db", "--socket", socket, "--log-level", "warning"],
            environment: ["NOTIFY_SOCKET": notify.path])
        let ready = notify.receive()
        #expect(ready?.split(separator: "\n").contains("READY=1") == true, "\(ready ?? "nothing")")
        // Ready means ready: the socket answers at once.
        let client = try TestClient(unixSocket: socket)
        #expect(try await client.readLine()?.hasPrefix("220 atmpd") == true)
        daemon.terminate()
        let stopping = notify.receive()
        #expect(stopping == "STOPPING=1")
        #expect(try await daemon.exitStatus() == 0, "\(daemon.stderr)")
    }
}
