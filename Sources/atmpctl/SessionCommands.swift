import ArgumentParser
import ATMPClient

struct PingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping", abstract: "Check that the daemon answers (no sign-in needed).")

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try online(connection, authenticate: false) { server, printer throws(ClientError) in
            let reply = try server.perform(.init(verb: ["PING"]))
            printer.done(reply, "pong from \(server.endpoint) (\(TableRenderer.line(server.greeting)))")
        }
    }
}

struct HelloCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hello", abstract: "Show the server, its protocol version and sign-in methods (no sign-in needed).")

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try online(connection, authenticate: false) { server, printer throws(ClientError) in
            printer.reply(try server.hello())
        }
    }
}

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show the daemon's counters: requests and latencies per command, changes, conflicts, connections, pool (admin).",
        discussion: "The figures are this atmpd instance's since it started; the metrics endpoint exposes the same ones.")

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try online(connection) { server, printer throws(ClientError) in
            // The instance's counters as `key  value` lines, then pool and commands as tables.
            printer.reply(try server.perform(.init(verb: ["STATS"])), detailFirst: true)
        }
    }
}
