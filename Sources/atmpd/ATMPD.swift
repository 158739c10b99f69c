import ArgumentParser

/// `atmpd`: the ATMP Tracker daemon. With no subcommand it serves.
@main
struct ATMPD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "atmpd",
        abstract: "The ATMP Tracker daemon: cases, templates and the audit trail behind a control socket.",
        discussion: """
            With no options atmpd keeps its data in ./.atmp (or $ATMP_DATA_DIR): an SQLite \
            database and the control socket atmpd.sock. See docs/daemon.md.
            """,
        subcommands: [Serve.self, Migrate.self, Verify.self, UserCommand.self],
        defaultSubcommand: Serve.self)
}

/// sysexits(3) codes atmpd exits with.
enum Exit {
    /// Bad command line or configuration (EX_USAGE); ArgumentParser uses it too.
    static let usage = ExitCode(64)
    /// Bad input data, such as an empty password (EX_DATAERR).
    static let dataError = ExitCode(65)
    /// The database cannot be reached (EX_UNAVAILABLE).
    static let unavailable = ExitCode(69)
    /// The socket cannot be created, e.g. another atmpd listens on it (EX_CANTCREAT).
    static let cannotCreate = ExitCode(73)
}
