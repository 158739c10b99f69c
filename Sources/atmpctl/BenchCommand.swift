import ArgumentParser
import ATMPClient

/// `atmpctl bench`: a load generator against a running daemon. The work is
/// in ATMPClient's `LoadGenerator`; this is the command-line shell around it.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Advance bench-loop cases as fast as the daemon acknowledges; print throughput and latency.",
        discussion: """
            Publishes the template bench-loop if the daemon lacks it (needs admin), opens --cases cases \
            over --connections connections, then for --duration seconds advances them, each connection \
            round-robin over its own cases with --pipeline requests in flight. The user needs the \
            template role lead (and admin the first time, to publish). Counts only acknowledged (250) \
            changes; exits 0 when every request was acknowledged, 1 when some were refused, and the \
            connection error's status when a connection failed (the figures are printed first).
            """
    )

    @Option(help: "Connections, each on its own thread.") var connections: Int = 1
    @Option(help: ArgumentHelp("Seconds to advance cases (fractions allowed).", valueName: "seconds"))
    var duration: Double = 10
    @Option(help: "Cases to open first (default connections × max(4, pipeline)); at least --connections.")
    var cases: Int?
    @Option(help: "Requests each connection keeps in flight (never two for one case).") var pipeline: Int = 1
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        do throws(ClientError) { _ = try benchConfiguration() } catch { throw ValidationError(error.description) }
    }

    func benchConfiguration() throws(ClientError) -> BenchConfiguration {
        guard duration.isFinite, duration > 0, duration <= 86_400 else {
            throw .usage("--duration must be more than 0 and at most 86400 seconds")
        }
        return try BenchConfiguration(connections: connections, duration: .milliseconds(Int64((duration * 1000).rounded(.up))),
                                      cases: cases, pipeline: pipeline)
    }

    func run() throws {
        let printer = Printer(json: connection.json)
        let result: BenchResult
        do throws(ClientError) {
            let configuration = try benchConfiguration()
            let user = connection.noAuth ? nil : connection.userName
            let password = user == nil ? "" : try connection.password(prompt: "Password for \(user!): ")
            let target = BenchTarget(endpoint: try connection.endpoint(), user: user, password: password,
                                     timeout: .seconds(max(1, connection.timeout)), tls: connection.tlsSettings)
            let preparation = try LoadGenerator.prepare(target)
            if preparation.published && !connection.json {
                printError("atmpctl: published template \(BenchLoop.templateName)")
            }
            result = try LoadGenerator.run(configuration, target: target)
        } catch {
            printer.failure(error)
            throw ExitCode(ExitStatusMapping.status(for: error))
        }
        printer.out(connection.json ? BenchReport.json(result) : BenchReport.text(result))
        for error in result.errors { printError("atmpctl: \(error)") }
        if !result.clean { throw ExitCode(result.exitStatus) }
    }
}
