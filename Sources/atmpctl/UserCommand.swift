import ArgumentParser
import ATMPClient
import Foundation

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage user accounts (role admin; anyone may change their own password).",
        subcommands: [Add.self, List.self, Roles.self, Disable.self, Enable.self, Password.self]
    )

    /// The password of the account being created or changed: `ATMP_NEW_PASSWORD`,
    /// else asked for (after the caller's own password when that is asked too).
    static func newPassword(for name: String) throws(ClientError) -> String {
        if let password = ProcessInfo.processInfo.environment["ATMP_NEW_PASSWORD"] { return password }
        guard let password = Terminal.readSecret(prompt: "New password for \(name): "), !password.isEmpty else {
            throw .usage("no new password: set ATMP_NEW_PASSWORD or type it")
        }
        if Terminal.inputIsTerminal {
            guard Terminal.readSecret(prompt: "Again: ") == password else { throw .usage("the passwords differ") }
        }
        return password
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user (password from ATMP_NEW_PASSWORD or a prompt).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The new user's name.") var name: String
        @Option(help: "Roles, comma-separated.") var roles: String

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                let reply = try server.addUser(name, roles: roles.split(separator: ",").map(String.init),
                                               password: try UserCommand.newPassword(for: name))
                printer.done(reply, "user \(name) added with roles \(roles)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users with their roles.")
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                printer.reply(try server.perform(.init(verb: ["USER", "LIST"])))
            }
        }
    }

    struct Roles: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace a user's roles.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Option(help: "Roles, comma-separated.") var roles: String

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                let reply = try server.setRoles(of: name, to: roles.split(separator: ",").map(String.init))
                printer.done(reply, "user \(name) now has roles \(roles)")
            }
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a user from signing in (accounts are never deleted).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                let reply = try server.disableUser(name)
                printer.done(reply, "user \(name) disabled")
            }
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a disabled user sign in again.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                let reply = try server.enableUser(name)
                printer.done(reply, "user \(name) enabled")
            }
        }
    }

    struct Password: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a user's password (ATMP_NEW_PASSWORD or a prompt); your own by default.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The user; default the signed-in user.") var name: String?

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                let name = self.name ?? connection.userName
                let reply = try server.setPassword(of: name, to: try UserCommand.newPassword(for: name))
                printer.done(reply, "password of \(name) changed")
            }
        }
    }
}
