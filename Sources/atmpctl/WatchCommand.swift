import ArgumentParser
import ATMPClient
import ControlProtocol

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print audit events as they happen, until interrupted (Ctrl-C).",
        discussion: "One line per event; with --json one JSON object per line (JSON Lines)."
    )

    @Option(name: .customLong("case"), help: "Only this case's events.") var caseID: String?
    @Option(help: "Only events of cases on this template.") var template: String?
    @Flag(help: "Every event, system chain included.") var all = false
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if [caseID != nil, template != nil, all].filter({ $0 }).count > 1 {
            throw ValidationError("give at most one of --case, --template and --all")
        }
    }

    func run() throws {
        let scope: ControlConnection.WatchScope =
            caseID.map { .case($0) } ?? template.map { .template($0) } ?? (all ? .all : .serverDefault)
        try online(connection) { server, printer throws(ClientError) in
            server.eventHandler = { reply in printer.event(reply) }
            try server.watch(scope)
            if !printer.json { printError("watching \(scope.description); Ctrl-C stops") }
            server.timeout = nil
            while true { try server.pumpEvents(timeout: nil) }
        }
    }
}

extension ControlConnection.WatchScope {
    var description: String {
        switch self {
        case .case(let id): return "case \(id)"
        case .template(let name): return "cases on template \(name)"
        case .all: return "everything"
        case .serverDefault: return "the server's default scope"
        }
    }
}

extension Printer {
    /// One `650` line: `C-000001 seq=8 case.advanced actor=alice state=clinical`, or its JSON.
    func event(_ reply: Reply) {
        guard let record = reply.status else { return }
        if json { return out(JSONRenderer.text(JSONRenderer.record(record))) }
        if let event = WatchEvent(reply) {
            out("\(event.chain) seq=\(event.seq) \(event.action) actor=\(event.actor) state=\(event.state)")
        } else {
            out(TableRenderer.line(record))
        }
    }
}
