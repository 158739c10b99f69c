import ArgumentParser
import ATMPClient
import Foundation

struct CaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case",
        abstract: "Open, read and move development cases.",
        subcommands: [Open.self, Show.self, List.self, Advance.self, Attach.self, Sign.self, Hold.self, Resume.self,
                      Note.self, SetAttributes.self]
    )

    /// What every change may carry.
    struct Change: ParsableArguments {
        @Option(help: "Make the change only if the case is still at this version (else exit 75).")
        var expect: Int?
        @Option(help: "Idempotency key: a repeat within 24 hours returns the first reply.")
        var idem: String?

        func options(reason: String?) -> ChangeOptions { ChangeOptions(reason: reason, expect: expect, idem: idem) }
    }

    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open a case on a template.")
        @Option(help: "The template's name.") var template: String
        @Option(help: "Template version (default the latest).") var version: Int?
        @Option(help: "The case's title.") var title: String
        @Option(name: .customLong("attr"), help: ArgumentHelp("An attribute, KEY=VALUE; repeatable.", valueName: "key=value"))
        var attributes: [String] = []
        @Option(help: "Idempotency key.") var idem: String?
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            let pairs = try keyValuePairs(attributes)
            try online(connection) { server, printer throws(ClientError) in
                printer.reply(try server.openCase(template: template, version: version, title: title,
                                                  attributes: pairs, idem: idem))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a case: its fields, documents, signatures, clocks and next transitions.")
        @Argument(help: "The case id, e.g. C-000001.") var id: String
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                printer.reply(try server.showCase(id), detailFirst: true)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List cases in id order, filtered; prints next=ID when more follow (use --after).")
        @Option(help: "Only cases on this template.") var template: String?
        @Option(help: "Only cases in this state.") var state: String?
        @Option(help: "Only cases in this stage.") var stage: String?
        @Option(help: "true: only overdue cases; false: only cases not overdue.") var overdue: Bool?
        @Option(help: "true: only cases on hold; false: only cases not on hold.") var hold: Bool?
        @Option(help: "At most this many (server default 100, max 1000).") var limit: Int?
        @Option(help: "Start after this case id (the next= of the previous page).") var after: String?
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                printer.reply(try server.listCases(CaseFilter(
                    template: template, state: state, stage: stage, overdue: overdue, hold: hold, limit: limit,
                    after: after)))
            }
        }
    }

    struct Advance: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a transition; unmet requirements are listed and exit 65.")
        @Argument(help: "The case id.") var id: String
        @Argument(help: "The transition's name (see case show).") var transition: String
        @Option(help: "Why (recorded in the audit trail).") var reason: String?
        @OptionGroup var change: Change
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                printer.reply(try server.advanceCase(id, transition: transition, change.options(reason: reason)))
            }
        }
    }

    struct Attach: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a document: the file is hashed here (SHA-256); only the digest and a URI are sent.")
        @Argument(help: "The case id.") var id: String
        @Option(help: "The document kind the template names (e.g. batch-record).") var document: String
        @Option(help: "The document file to hash.") var file: String
        @Option(help: "Where the document lives (default file://ABSOLUTE-PATH).") var uri: String?
        @Option(help: "Title (default the file name).") var title: String?
        @Option(help: "Why.") var reason: String?
        @OptionGroup var change: Change
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            let url = URL(fileURLWithPath: file).standardizedFileURL
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                printError("atmpctl: \(file): no such file")
                throw ExitStatus.noInput
            }
            try online(connection) { server, printer throws(ClientError) in
                let digest = try FileDigest.sha256(ofFileAt: url.path)
                printer.reply(try server.attachDocument(
                    to: id, kind: document, sha256: digest, uri: uri ?? url.absoluteString,
                    title: title ?? url.lastPathComponent, change.options(reason: reason)))
            }
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign for a transition; the password is asked again for every signature (21 CFR 11.200).",
            discussion: "ATMP_PASSWORD, when set, is used for both the sign-in and the signature."
        )
        @Argument(help: "The case id.") var id: String
        @Argument(help: "The transition signed for.") var transition: String
        @Option(help: "The signature's meaning as the template names it (e.g. approved, reviewed).") var meaning: String
        @Option(help: "Why.") var reason: String?
        @OptionGroup var change: Change
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                let password = try connection.password(
                    prompt: "Signature of \(connection.userName) — \(meaning) for \(transition) on \(id). Password: ")
                printer.reply(try server.signCase(id, transition: transition, meaning: meaning, password: password,
                                                  change.options(reason: reason)))
            }
        }
    }

    struct Hold: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a case on hold: only resume, notes and reads are allowed until resumed.")
        @Argument var id: String
        @Option(help: "Why (required).") var reason: String
        @OptionGroup var change: Change
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                printer.reply(try server.holdCase(id, reason: reason, change.options(reason: nil)))
            }
        }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a case on hold.")
        @Argument var id: String
        @Option(help: "Why (required).") var reason: String
        @OptionGroup var change: Change
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                printer.reply(try server.resumeCase(id, reason: reason, change.options(reason: nil)))
            }
        }
    }

    struct Note: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a note to a case's audit trail.")
        @Argument var id: String
        @Argument(help: "The note's text.") var text: String
        @OptionGroup var change: Change
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            try online(connection) { server, printer throws(ClientError) in
                printer.reply(try server.noteCase(id, text: text, change.options(reason: nil)))
            }
        }
    }

    struct SetAttributes: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change attributes; old and new values and the reason go to the audit trail.")
        @Argument var id: String
        @Argument(help: ArgumentHelp("Attributes to set.", valueName: "key=value")) var attributes: [String]
        @Option(help: "Why (required).") var reason: String
        @OptionGroup var change: Change
        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            let pairs = try keyValuePairs(attributes)
            try online(connection) { server, printer throws(ClientError) in
                printer.reply(try server.setAttributes(of: id, pairs, reason: reason, change.options(reason: nil)))
            }
        }
    }
}

/// `key=value` arguments split at the first `=`; a missing `=` or empty key is a usage error.
func keyValuePairs(_ arguments: [String]) throws -> [(key: String, value: String)] {
    try arguments.map { argument in
        guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else {
            throw ValidationError("'\(argument)' is not KEY=VALUE")
        }
        return (String(argument[..<eq]), String(argument[argument.index(after: eq)...]))
    }
}
