import Testing

@Suite("atmpctl --help")
struct HelpTests {
    static let commands: [[String]] = [
        [], ["ping"], ["hello"],
        ["user"], ["user", "add"], ["user", "list"], ["user", "roles"], ["user", "disable"], ["user", "enable"],
        ["user", "password"],
        ["template"], ["template", "check"], ["template", "graph"], ["template", "put"], ["template", "list"],
        ["template", "show"],
        ["case"], ["case", "open"], ["case", "show"], ["case", "list"], ["case", "advance"], ["case", "attach"],
        ["case", "sign"], ["case", "hold"], ["case", "resume"], ["case", "note"], ["case", "set"],
        ["audit"], ["audit", "trail"], ["audit", "verify"],
        ["watch"], ["shell"],
    ]

    @Test(arguments: commands)
    func helpWorks(_ command: [String]) throws {
        let run = try atmpctl(command + ["--help"])
        #expect(run.status == 0, "\(command): \(run.stderr)")
        #expect(run.stdout.contains("USAGE: atmpctl"), "\(command)")
        if let last = command.last { #expect(run.stdout.contains(last)) }
    }

    @Test func onlineCommandsShowTheConnectionOptions() throws {
        let run = try atmpctl(["case", "show", "--help"])
        for option in ["--socket", "--host", "--port", "--user", "--json", "--no-auth"] {
            #expect(run.stdout.contains(option), "\(option)")
        }
    }
}
