import ArgumentParser

/// `atmpctl`: the command-line client of ATMP Tracker.
///
/// Today it holds the offline commands — checking and drawing templates,
/// verifying exported audit trails — which need no server.
@main
struct ATMPCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "atmpctl",
        abstract: "Command-line client of ATMP Tracker.",
        version: "0.1.0",
        subcommands: [TemplateCommand.self, AuditCommand.self]
    )
}

/// Exit statuses of `atmpctl`, following sysexits(3) where one fits.
enum ExitStatus {
    /// EX_DATAERR: the input was read but is not valid (a bad template, a broken trail).
    static let dataError = ExitCode(65)
    /// EX_NOINPUT: an input file could not be opened.
    static let noInput = ExitCode(66)
}
