import ArgumentParser

/// `atmpctl`: the command-line client of ATMP Tracker.
///
/// Offline commands (checking and drawing template files, verifying exported
/// audit trails) need no server; the rest speak the control protocol to `atmpd`
/// (see docs/atmpctl.md).
@main
struct ATMPCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "atmpctl",
        abstract: "Command-line client of ATMP Tracker.",
        discussion: """
            Online commands find the daemon through --socket (ATMP_SOCKET) or --host/--port \
            (ATMP_HOST/ATMP_PORT), sign in as --user (ATMP_USER) with ATMP_PASSWORD or a prompt, \
            and print tables, or JSON with --json.
            """,
        version: "0.1.0",
        subcommands: [
            PingCommand.self, HelloCommand.self, UserCommand.self, TemplateCommand.self, CaseCommand.self,
            AuditCommand.self, WatchCommand.self, ShellCommand.self, BenchCommand.self, StatsCommand.self,
        ]
    )
}

/// Exit statuses of `atmpctl`, following sysexits(3) where one fits; replies
/// map through `ExitStatusMapping` (docs/atmpctl.md has the table).
enum ExitStatus {
    /// EX_DATAERR: the input was read but is not valid (a bad template, a broken trail).
    static let dataError = ExitCode(65)
    /// EX_NOINPUT: an input file could not be opened.
    static let noInput = ExitCode(66)
}
