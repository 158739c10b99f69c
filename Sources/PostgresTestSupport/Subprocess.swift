import Foundation

/// Runs helper programs with Foundation's `Process`, optionally as another
/// user — initdb and postgres refuse to run as root.
enum Subprocess {
    /// The account the server programs run as when the tests run as root.
    struct UnprivilegedUser {
        let name: String
        let uid: uid_t
        let gid: gid_t

        /// The `postgres` user when running as root, else nil (run as self).
        static func forServer() throws(PostgresTestClusterError) -> UnprivilegedUser? {
            guard geteuid() == 0 else { return nil }
            guard let entry = getpwnam("postgres") else {
                throw PostgresTestClusterError(
                    "tests run as root, and PostgreSQL refuses to run as root, but there is no 'postgres' user "
                    + "to run it as; " + PostgresServerBinaries.installHint)
            }
            return UnprivilegedUser(name: "postgres", uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
        }

        /// `program arguments…` rewritten to run as this user.
        func wrap(_ program: String, _ arguments: [String]) -> (String, [String]) {
            for runuser in ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
            where FileManager.default.isExecutableFile(atPath: runuser) {
                return (runuser, ["-u", name, "--", program] + arguments)
            }
            return ("/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--", program] + arguments)
        }
    }

    /// Runs a program to completion and returns its output (stdout and
    /// stderr together); throws with that output if it exits non-zero.
    /// A bare name is looked up on PATH.
    @discardableResult
    static func run(
        executable: String, arguments: [String], as user: UnprivilegedUser? = nil, in directory: URL? = nil
    ) throws -> String {
        let (program, args) = user?.wrap(executable, arguments) ?? (executable, arguments)
        let process = Process()
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = args
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + args
        }
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read before waiting, so a chatty program cannot fill the pipe and stall.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw PostgresTestClusterError("\(([program] + args).joined(separator: " ")) failed (status \(process.terminationStatus)):\n\(text)")
        }
        return text
    }
}
