import Foundation
import ArgumentParser
import Daemon
import Storage

/// `atmpd user …`: user administration on the host, without a running daemon.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users directly in the database.", subcommands: [UserAdd.self])
}

/// `atmpd user add NAME --roles a,b`: the way to create the first admin.
/// The password is the first line of standard input, so it never shows in
/// `ps`, the shell history or the terminal (`read -rs` or a pipe).
struct UserAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a user; the password is read from the first line of standard input.")

    @Argument(help: "The user name.") var name: String

    @Option(help: "Comma-separated roles, e.g. admin or qp,manufacturing.") var roles: String

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard Self.isValidName(name) else {
            throw ValidationError("a user name is 1–64 of a-z, A-Z, 0-9, '.', '_', '-', not \(name.debugDescription)")
        }
        guard !roleList.isEmpty, roleList.allSatisfy(Self.isValidName) else {
            throw ValidationError("--roles takes comma-separated names such as admin,regulator")
        }
    }

    var roleList: [String] {
        roles.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func isValidName(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    func run() async throws {
        guard let password = readLine(strippingNewline: true), !password.isEmpty else {
            printError("no password: give it as the first line of standard input")
            throw Exit.dataError
        }
        let settings = try Settings(configPath: common.config)
        let location = try common.databaseLocation(settings)
        let logger = try common.bootstrapLogging(settings)
        let store = try await openStore(location, logger: logger)
        _ = try await migrate(store)
        let user = StoredUser(name: name, roles: roleList, passwordHash: PasswordHash.make(password: password))
        do {
            // Done on the host by whoever may write the database: the system acting as admin.
            _ = try await store.addUser(user, by: "system", role: "admin", at: WallClock.system.now())
            await store.close()
        } catch {
            await store.close()
            printError(error.message)
            throw error.code == .unavailable ? Exit.unavailable : ExitCode.failure
        }
        say("added user \(name) with roles \(roleList.joined(separator: ","))")
    }
}
