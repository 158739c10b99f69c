import Foundation
import SocketTestSupport

/// A real `atmpd` for the commands whose point is the real server (bench,
/// TLS): the shared `AtmpdProcess` on SQLite in a fresh directory. These tests
/// let go of it instead of stopping it: its deinit kills it (SIGKILL) and
/// waits until it is gone, on every path.
extension AtmpdProcess {
    /// Started and ready. `users` are name → comma-separated roles; every
    /// password is `NAME-password`. `serveArguments` are added to `atmpd serve`
    /// (say `--listen 127.0.0.1:0` and TLS files; `tcpPort` is then the port).
    static func real(users: [String: String], serveArguments: [String] = []) throws -> AtmpdProcess {
        let daemon = try AtmpdProcess(users: users, serveArguments: serveArguments, directoryPrefix: "atmpctl-t")
        try daemon.startBlocking()
        return daemon
    }

    /// Runs the built atmpctl against this daemon as `user`.
    func atmpctl(_ arguments: [String], as user: String) throws -> Run {
        try atmpctlTests.atmpctl(arguments, environment: [
            "ATMP_SOCKET": socket, "ATMP_USER": user, "ATMP_PASSWORD": Self.password(for: user), "ATMP_HOST": nil,
        ])
    }
}
