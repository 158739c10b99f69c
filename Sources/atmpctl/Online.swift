import ArgumentParser
import ATMPClient
import AuditLog
import ControlProtocol

/// Runs an online command: connect (and sign in), do the work, and turn any
/// failure into the error lines and exit status of docs/atmpctl.md.
func online(_ options: ConnectionOptions, authenticate: Bool = true, source: String? = nil,
            _ body: (ControlConnection, Printer) throws(ClientError) -> Void) throws {
    let printer = Printer(json: options.json, source: source)
    do throws(ClientError) {
        let connection = try options.connect(authenticate: authenticate)
        try body(connection, printer)
        // Only a healthy connection is worth a polite QUIT; after a failure it
        // simply closes when released.
        try? connection.quit()
    } catch {
        printer.failure(error)
        throw ExitCode(ExitStatusMapping.status(for: error))
    }
}

/// Where results go: tables (default) or one JSON document per command on
/// standard output; errors always also go to standard error.
struct Printer {
    var json: Bool
    /// The file a request's data block came from: `554-error` records are then
    /// printed as FILE:LINE:COLUMN: error: MESSAGE, like the offline check.
    var source: String?

    /// Standard output, unbuffered: `watch` output must reach a pipe at once.
    func out(_ text: String) {
        Terminal.write(text.hasSuffix("\n") || text.isEmpty ? text : text + "\n")
    }

    /// A reply: its records as tables and the final line's fields, or JSON.
    func reply(_ reply: Reply, extra: [String: JSONValue] = [:], detailFirst: Bool = false) {
        if json { return out(JSONRenderer.text(JSONRenderer.reply(reply, extra: extra))) }
        var records = reply.records
        if detailFirst, let first = records.first {
            out(TableRenderer.details(first))
            records.removeFirst()
            if !records.isEmpty { out("") }
        }
        if !records.isEmpty { out(TableRenderer.render(records)) }
        if let status = reply.status, !(status.fields.isEmpty && status.words.isEmpty) {
            out(([status.type] + status.words + status.fields.map(\.description)).joined(separator: " "))
        }
    }

    /// A success with nothing to show but a sentence (tables) or the reply (JSON).
    func done(_ reply: Reply, _ sentence: String) {
        if json { self.reply(reply) } else { out(sentence) }
    }

    /// `atmpctl: CODE error-key: text` and the error's records on standard
    /// error; with --json the document goes to standard output as well.
    func failure(_ error: ClientError) {
        if json { out(JSONRenderer.text(JSONRenderer.clientError(error))) }
        printError("atmpctl: \(error)")
        for record in error.failure?.records ?? [] { printError(describe(record)) }
    }

    /// An error record readably, as one line for standard error:
    /// `  missing document: name=batch-record`.
    func describe(_ record: ReplyRecord) -> String {
        switch record.type {
        case "error":
            let place = [source, record["line"], record["column"]].compactMap { $0 }.joined(separator: ":")
            let message = "error: " + (record["message"] ?? TableRenderer.line(record))
            return source == nil ? "  " + place + ": " + message : place + ": " + message
        case "missing":
            let rest = record.fields.filter { $0.key != "kind" }.map(\.description).joined(separator: " ")
            return "  missing \(record["kind"] ?? "item")" + (rest.isEmpty ? "" : ": " + rest)
        case "broken":
            return "  broken: chain=\(record["chain"] ?? "?") seq=\(record["seq"] ?? "?"): \(record["reason"] ?? "")"
        default:
            return "  " + TableRenderer.line(record)
        }
    }
}
