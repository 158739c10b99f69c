import ArgumentParser
import ATMPClient
import ControlProtocol
import Foundation

struct ShellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "Speak the protocol directly on one connection: each line is sent as a request.",
        discussion: """
            On a terminal: line editing (arrows, Home/End, Ctrl-A/E/K/U), history in ~/.atmp_history \
            (lines with passwords are never kept), Ctrl-C clears the line, Ctrl-D or QUIT leaves. \
            A line starting with + takes the following lines as its data block, up to a line holding \
            a single dot. Events (after WATCH) are printed as they arrive. \
            Signs in first like every command when on a terminal or when ATMP_PASSWORD is set; \
            otherwise (a script on standard input) the script may send AUTH itself.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let interactive = Terminal.inputIsTerminal
        let signIn = interactive || connection.environment["ATMP_PASSWORD"] != nil
        try online(connection, authenticate: signIn) { server, _ throws(ClientError) in
            if interactive {
                try InteractiveShell(server: server).run()
            } else {
                try runScript(server)
            }
        }
    }

    /// Standard input is not a terminal: read lines and send them, printing replies.
    private func runScript(_ server: ControlConnection) throws(ClientError) {
        server.eventHandler = { Terminal.write(wireText($0)) }
        while let line = Swift.readLine() {
            guard var request = ShellRequest(line) else { continue }
            while request.needsMoreData {
                request.append(Swift.readLine() ?? ".")
            }
            let reply = try request.send(on: server)
            Terminal.write(wireText(reply))
            if request.isQuit && reply.code == .ok { return }
        }
    }
}

/// A request as typed: its line and, for `+` lines, the data block lines up to `.`.
struct ShellRequest {
    private(set) var lines: [String]
    private(set) var needsMoreData: Bool

    /// Nil for a blank line, which the protocol ignores (so no reply would come).
    init?(_ line: String) {
        guard !line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) else { return nil }
        lines = [line]
        needsMoreData = line.drop { $0 == " " || $0 == "\t" }.hasPrefix("+")
    }

    mutating func append(_ line: String) {
        lines.append(line)
        if line == "." || line == ".\r" { needsMoreData = false }
    }

    var isQuit: Bool { lines[0].trimmingCharacters(in: .whitespaces).uppercased() == "QUIT" }

    func send(on server: ControlConnection) throws(ClientError) -> Reply {
        try server.sendRaw(lines.joined(separator: "\n"))
        return try server.readReply()
    }
}

/// A reply as the server wrote it, with LF line ends for the terminal.
func wireText(_ reply: Reply) -> String {
    String(decoding: ReplyEncoder.encode(reply), as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
}

/// The terminal side of `atmpctl shell`: raw mode, `LineEditor`, and the
/// socket polled alongside the keyboard so events show up between commands.
struct InteractiveShell {
    let server: ControlConnection
    static let prompt = "atmp> "
    static let dataPrompt = "   .> "
    static let historyLimit = 1000

    var historyPath: String {
        (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + "/.atmp_history"
    }

    func run() throws(ClientError) {
        let saved = (try? String(contentsOfFile: historyPath, encoding: .utf8)) ?? ""
        var editor = LineEditor(history: History(fileText: saved, limit: Self.historyLimit))
        var decoder = KeyDecoder()
        var pending: ShellRequest?
        var prompt: String { pending == nil ? Self.prompt : Self.dataPrompt }

        Terminal.write("connected to \(server.endpoint): \(TableRenderer.line(server.greeting))\n")
        guard let restore = Terminal.enterRawMode() else { throw .io("cannot put the terminal in raw mode") }
        defer {
            restore()
            try? FileManager.default.createDirectory(
                atPath: (historyPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: historyPath, contents: Data(editor.history.fileText.utf8),
                                           attributes: [.posixPermissions: 0o600])
        }
        server.eventHandler = { Terminal.write("\r\u{1B}[K" + wireText($0)) }
        Terminal.write(editor.render(prompt: prompt))

        while true {
            let ready = Terminal.waitForInput(or: server.descriptor, timeout: nil)
            if ready.other {
                try server.pumpEvents(timeout: .zero)
                Terminal.write(editor.render(prompt: prompt))
            }
            guard ready.input else { continue }
            let bytes = Terminal.readInput()
            if bytes.isEmpty { return }
            var keys = decoder.feed(bytes)
            // A lone ESC: wait a moment for the rest of a sequence, else drop it.
            if decoder.isWaiting, !Terminal.waitForInput(or: -1, timeout: .milliseconds(50)).input {
                keys += decoder.flush()
            }
            for key in keys {
                switch editor.handle(key) {
                case .redraw: Terminal.write(editor.render(prompt: prompt))
                case .bell: Terminal.write("\u{7}")
                case .none: break
                case .cancel:
                    pending = nil
                    Terminal.write("^C\n" + editor.render(prompt: prompt))
                case .exit:
                    Terminal.write("\n")
                    return
                case .submit(let line):
                    Terminal.write("\n")
                    if pending != nil {
                        pending?.append(line)
                    } else {
                        pending = ShellRequest(line)
                    }
                    if let request = pending, !request.needsMoreData {
                        pending = nil
                        let reply = try request.send(on: server)
                        Terminal.write(wireText(reply))
                        if request.isQuit && reply.code == .ok { return }
                    }
                    Terminal.write(editor.render(prompt: prompt))
                }
            }
        }
    }
}
