import ArgumentParser
import ATMPClient
import Foundation

/// The options every online command takes: where the daemon is, who we are,
/// and how to print. Each comes from an option, else the environment, else a
/// default, so tests and scripts can set `ATMP_SOCKET`/`ATMP_PASSWORD` once.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The daemon's Unix socket (env ATMP_SOCKET; default ./.atmp/atmpd.sock if present, else /run/atmp/atmpd.sock).",
        valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp("Connect over TCP to this host instead (env ATMP_HOST).", valueName: "host"))
    var host: String?

    @Option(name: .long, help: ArgumentHelp("The TCP port (env ATMP_PORT).", valueName: "port"))
    var port: Int?

    @Flag(name: .long, help: "Speak TLS over TCP, checking the daemon's certificate (env ATMP_TLS=1).")
    var tls = false

    @Option(name: .long, help: ArgumentHelp(
        "Trust the CA certificates in this PEM file instead of the system's; implies --tls (env ATMP_CA_FILE).",
        valueName: "path"))
    var caFile: String?

    @Option(name: .long, help: ArgumentHelp("Sign in as this user (env ATMP_USER; default the OS user).", valueName: "name"))
    var user: String?

    @Flag(name: .long, help: "Skip AUTH (a server that trusts the Unix socket peer's OS user).")
    var noAuth = false

    @Flag(name: .long, help: "Print one JSON document per command instead of tables.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for a reply.", valueName: "seconds"))
    var timeout: Int = 30

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func endpoint() throws(ClientError) -> Endpoint {
        try Endpoint.resolve(socket: socket, host: host, port: port, environment: environment,
                             fileExists: { FileManager.default.fileExists(atPath: $0) })
    }

    /// TLS settings when asked for by option or environment, nil for a plain connection.
    var tlsSettings: TLSClientSettings? {
        let caFile = caFile ?? environment["ATMP_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let wanted = tls || caFile != nil || ["1", "true", "yes", "on"].contains(environment["ATMP_TLS"]?.lowercased() ?? "")
        return wanted ? TLSClientSettings(caFile: caFile) : nil
    }

    var userName: String {
        if let user, !user.isEmpty { return user }
        if let user = environment["ATMP_USER"], !user.isEmpty { return user }
        return NSUserName()
    }

    /// The user's password: `ATMP_PASSWORD`, else asked for (without echo on a
    /// terminal, else one line of standard input).
    func password(prompt: String) throws(ClientError) -> String {
        if let password = environment["ATMP_PASSWORD"] { return password }
        guard let password = Terminal.readSecret(prompt: prompt) else {
            throw .usage("no password: set ATMP_PASSWORD or type it")
        }
        return password
    }

    /// Connects, and signs in unless `authenticate` is false or `--no-auth` was given.
    func connect(authenticate: Bool = true) throws(ClientError) -> ControlConnection {
        let connection = try ControlConnection(to: try endpoint(), timeout: .seconds(max(1, timeout)), tls: tlsSettings)
        if authenticate && !noAuth {
            let user = userName
            try connection.authenticate(user: user, password: try password(prompt: "Password for \(user): "))
        }
        return connection
    }
}
