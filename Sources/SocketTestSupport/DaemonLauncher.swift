import Foundation

/// Starts long-running child processes (daemons) so that they die with the
/// test process, even when it crashes and no `defer` or deinit runs.
///
/// On Linux the child is started through `setpriv --pdeathsig KILL`, which
/// sets the parent-death signal and then execs the daemon (same process, same
/// pid, same exit status). The kernel sends that signal when the *thread* that
/// started the child ends, not the process; so every launch happens on one
/// thread that lives as long as the test process. Without setpriv the child
/// is started plainly.
enum DaemonLauncher {
    static let setpriv = "/usr/bin/setpriv"

    /// Sets `process` up to run `executable arguments…` and runs it.
    static func run(_ process: Process, executable: URL, arguments: [String]) throws {
        #if os(Linux)
        if FileManager.default.isExecutableFile(atPath: setpriv) {
            process.executableURL = URL(fileURLWithPath: setpriv)
            process.arguments = ["--pdeathsig", "KILL", "--", executable.path] + arguments
            try LauncherThread.shared.run(process)
            return
        }
        #endif
        process.executableURL = executable
        process.arguments = arguments
        try process.run()
    }
}

/// The one thread that starts daemons; it never ends.
private final class LauncherThread: @unchecked Sendable {  // `jobs` guarded by `condition`
    static let shared = LauncherThread()
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [self] in loop() }
        thread.name = "daemon launcher"
        thread.start()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    /// Runs `process` on the launcher thread and waits for that (a fork and an exec: milliseconds).
    func run(_ process: Process) throws {
        let outcome = Outcome()
        let box = UncheckedProcess(process: process)
        condition.lock()
        jobs.append {
            do { try box.process.run() } catch { outcome.failure = error }
            outcome.done.signal()
        }
        condition.signal()
        condition.unlock()
        outcome.done.wait()
        if let failure = outcome.failure { throw failure }
    }

    private final class Outcome: @unchecked Sendable {  // `failure` is written before `done` is signalled, read after
        let done = DispatchSemaphore(value: 0)
        var failure: (any Error)?
    }

    /// A Process handed to the launcher thread and back; only one thread touches it at a time.
    private struct UncheckedProcess: @unchecked Sendable { let process: Process }
}
