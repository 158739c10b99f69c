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
