import ArgumentParser
import Daemon
import Foundation
import Logging
import ServiceLifecycle
import Storage

/// `atmpd serve`: migrate, publish the workflow templates, and serve the
/// control protocol until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon (the default).")

    @OptionGroup var common: CommonOptions

    @Option(help: "Unix socket path (default DATA-DIR/atmpd.sock). [env: ATMP_SOCKET]")
    var socket: String?

    @Option(help: "Also listen on TCP, HOST:PORT. [env: ATMP_LISTEN]")
    var listen: String?

    @Option(help: "PEM certificate chain for TLS on --listen (required unless it is a loopback address). [env: ATMP_TLS_CERT]")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert. [env: ATMP_TLS_KEY]")
    var tlsKey: String?

    @Option(help: "Directory of workflow templates to publish at start (default ./Workflows if present). [env: ATMP_WORKFLOWS]")
    var workflows: String?

    @Flag(inversion: .prefixedNo, help: "Accept the Unix socket peer's OS user as its identity. [env: ATMP_PEER_AUTH]")
    var peerAuth: Bool?

    @Option(help: "Most connections at once (default 256). [env: ATMP_MAX_CONNECTIONS]")
    var maxConnections: Int?

    @Option(help: "Close connections idle this many seconds (default 900). [env: ATMP_IDLE_TIMEOUT]")
    var idleTimeout: Int?

    @Option(help: "Longest request line in bytes (default 16384). [env: ATMP_MAX_LINE]")
    var maxLine: Int?

    @Option(help: "Seconds between overdue checks (default 5). [env: ATMP_TICK]")
    var tick: Int?

    @Option(help: "Database connections (default 8 for PostgreSQL, 4 for SQLite). [env: ATMP_POOL_SIZE]")
    var poolSize: Int?

    @Option(help: "PostgreSQL group-commit batches running at once; 0 commits every change alone (default 1). [env: ATMP_COMMIT_LANES]")
    var commitLanes: Int?

    @Option(help: "PostgreSQL: microseconds a commit lane waiting for a lone change's answer polls without sleeping; 0 never (default 1000 with 2 processors or more, else 0). [env: ATMP_COMMIT_SPIN]")
    var commitSpin: Int?

    @Option(help: "Cases kept in memory for the change path; 0 turns the cache off (default 100000). [env: ATMP_CASE_CACHE]")
    var caseCache: Int?

    @Option(help: "Serve Prometheus metrics over HTTP on HOST:PORT at /metrics (default off). [env: ATMP_METRICS_LISTEN]")
    var metricsListen: String?

    @Flag(inversion: .prefixedNo, help: "PostgreSQL: announce committed events to other instances on the database and relay theirs to WATCH (default on; off for a deployment of one). [env: ATMP_CLUSTER_EVENTS]")
    var clusterEvents: Bool?

    @Flag(inversion: .prefixedNo, help: "PostgreSQL: let a spinning commit lane read a Unix-socket client's next request itself, sparing its event loop a wake-up (default on; only while a lane spins, see --commit-spin). [env: ATMP_LANE_READS]")
    var laneReads: Bool?

    func run() async throws {
        let settings = try Settings(configPath: common.config)
        var server = ServerConfiguration()
        var service = ServiceConfiguration()
        let dataDirectory = DataDirectory(settings, flag: common.dataDir)

        server.socketPath = settings.value("socket", flag: socket)
        if server.socketPath == nil {
            try dataDirectory.create()
            server.socketPath = dataDirectory.defaultSocket
        }
        if let listen = settings.value("listen", flag: listen) {
            guard let address = ServerConfiguration.TCPAddress(parsing: listen) else {
                throw ValidationError("--listen takes HOST:PORT, not \(listen.debugDescription)")
            }
            server.tcp = address
        }
        server.tls = try Self.tls(settings.value("tls-cert", flag: tlsCert), settings.value("tls-key", flag: tlsKey),
                                  for: server.tcp)
        if let limit = try settings.integer("max-connections", flag: maxConnections, range: 1...100_000) {
            server.maxConnections = limit
        }
        if let seconds = try settings.integer("idle-timeout", flag: idleTimeout, range: 1...604_800) {
            server.idleTimeout = .seconds(seconds)
        }
        if let bytes = try settings.integer("max-line", flag: maxLine, range: 256...(1 << 24)) {
            server.maxLineBytes = bytes
        }
        let poolSize = try settings.integer("pool-size", flag: self.poolSize, range: 1...1_000)
        let commitLanes = try settings.integer("commit-lanes", flag: self.commitLanes, range: 0...1_000)
        let commitSpin = try settings.integer("commit-spin", flag: self.commitSpin, range: 0...100_000)
            .map { Duration.microseconds($0) }
        if let cases = try settings.integer("case-cache", flag: caseCache, range: 0...100_000_000) {
            service.caseCacheCapacity = cases
        }
        var metricsAddress: ServerConfiguration.TCPAddress?
        if let text = settings.value("metrics-listen", flag: metricsListen) {
            guard let address = ServerConfiguration.TCPAddress(parsing: text) else {
                throw ValidationError("--metrics-listen takes HOST:PORT, not \(text.debugDescription)")
            }
            metricsAddress = address
        }
        let tickSeconds = try settings.integer("tick", flag: tick, range: 1...86_400) ?? 5
        let clusterEvents = try settings.boolean("cluster-events", flag: self.clusterEvents) ?? true
        server.laneReadsRequests = try settings.boolean("lane-reads", flag: laneReads) ?? true
        let peerAuthentication = try settings.boolean("peer-auth", flag: peerAuth) ?? false
        server.peerAuthentication = peerAuthentication
        service.peerAuthentication = peerAuthentication
        server.maxDataBytes = service.maxDataBytes
        let workflowDirectory = settings.value("workflows", flag: workflows) ?? Self.defaultWorkflows()

        let location = try common.databaseLocation(settings)
        let logger = try common.bootstrapLogging(settings)

        let store = try await openStore(location, poolSize: poolSize, commitLanes: commitLanes, commitSpin: commitSpin,
                                        logger: logger)
        for migration in try await migrate(store) {
            logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
        }
        // Several instances may share a PostgreSQL database: each announces
        // the events it commits to the others (unless switched off for a
        // deployment of one). SQLite is one process per file.
        var publisher: ClusterEventPublisher?
        if case .postgres(let connectionString) = location, clusterEvents {
            // Names this process in its notifications, so that it skips its own.
            let instance = String(UUID().uuidString.lowercased().prefix(13))
            publisher = ClusterEventPublisher(connectionString: connectionString, origin: instance, logger: logger)
            publisher?.start()
            logger.info("instance id", metadata: ["instance": "\(instance)"])
        }
        let commands = CommandService(store: store, configuration: service, hub: EventHub(), clusterEvents: publisher,
                                      logger: logger)
        if let workflowDirectory {
            // Unchanged bodies are no-ops; an invalid file is reported and skipped.
            let problems = await commands.publishWorkflows(directory: workflowDirectory)
            for problem in problems {
                logger.error("workflow template not published", metadata: ["problem": "\(problem)"])
            }
        }

        let control = ControlServer(configuration: server, service: commands, logger: logger) { info in
            Self.printConnectionHint(info)
            // Type=notify units: ready once every listener is bound.
            if !SystemdNotify.send("READY=1\nSTATUS=serving") {
                logger.warning("could not tell systemd that atmpd is ready (NOTIFY_SOCKET)")
            }
        }
        // On PostgreSQL one instance scans for overdue cases at a time, and
        // each relays the others' events to its watchers.
        var services: [any Service] = []
        var lease: PostgresScanLease?
        if case .postgres(let connectionString) = location {
            lease = PostgresScanLease(connectionString: connectionString, logger: logger)
            if let publisher {
                let listener = PostgresEventListener(connectionString: connectionString, ignoringOrigin: publisher.origin,
                                                     logger: logger)
                services.append(ClusterEventRelay(listener: listener, instance: publisher.origin, service: commands,
                                                  logger: logger))
            }
        }
        services.append(OverdueClock(service: commands, tick: .seconds(tickSeconds), lease: lease, logger: logger))
        services.append(control)
        if let metricsAddress {
            let endpoint = MetricsEndpoint(address: metricsAddress, service: commands, logger: logger) { port in
                let host = metricsAddress.host.contains(":") ? "[\(metricsAddress.host)]" : metricsAddress.host
                say("atmpd: metrics at http://\(host):\(port)/metrics")
            }
            services.insert(endpoint, at: 0)
        }
        // Shut down in reverse order: the server stops first, then the clock,
        // then the relay, and the metrics endpoint last, so the final figures
        // can still be scraped.
        let group = ServiceGroup(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [],
            logger: logger)
        defer { SystemdNotify.send("STOPPING=1") }
        do {
            try await group.run()
        } catch {
            await publisher?.shutdown()
            await lease?.close()
            await store.close()
            let reason = (error as? ServiceGroupError).map { "\($0)" } ?? "\(error)"
            if let start = Self.startError(in: error) {
                printError(start.description)
                throw Exit.cannotCreate
            }
            printError("stopped: \(reason)")
            throw ExitCode.failure
        }
        await publisher?.shutdown()  // the last commits' events, if the database answers
        await lease?.close()
        await store.close()
        logger.info("atmpd stopped")
    }

    /// The TLS certificate and key, both or neither, read now so that a bad file stops atmpd at once (exit 64).
    /// Plain TCP is refused unless on loopback: passwords would otherwise cross a network in clear text.
    static func tls(_ certificate: String?, _ key: String?, for address: ServerConfiguration.TCPAddress?) throws
        -> ServerTLS?
    {
        switch (certificate, key) {
        case (nil, nil):
            if let address, !address.isLoopback {
                throw ValidationError(ControlServer.plainTCPRefusal(address).description)
            }
            return nil
        case (.some, nil): throw ValidationError("--tls-cert needs --tls-key (ATMP_TLS_KEY, tls-key) as well")
        case (nil, .some): throw ValidationError("--tls-key needs --tls-cert (ATMP_TLS_CERT, tls-cert) as well")
        case (.some(let certificate), .some(let key)):
            guard address != nil else { throw ValidationError("--tls-cert and --tls-key are for TCP: give --listen HOST:PORT too") }
            do {
                return try ServerTLS(certificatePath: certificate, keyPath: key)
            } catch {
                throw ValidationError(error.description)
            }
        }
    }

    /// `./Workflows` when it exists: a checkout of the project runs with its shipped templates.
    static func defaultWorkflows() -> String? {
        var isDirectory: ObjCBool = false
        let path = FileManager.default.currentDirectoryPath + "/Workflows"
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue ? path : nil
    }

    static func startError(in error: any Error) -> ControlServer.StartError? {
        if let start = error as? ControlServer.StartError { return start }
        return nil
    }

    static func printConnectionHint(_ info: ControlServer.ListeningInfo) {
        var lines: [String] = []
        if let path = info.socketPath {
            lines.append("atmpd: listening on \(path)")
            lines.append("  connect with:        atmpctl --socket \(path) …")
        }
        if let port = info.tcpPort {
            lines.append("atmpd: listening on TCP port \(port)\(info.tls ? " (TLS)" : "")")
        }
        lines.append("  first admin user:    atmpd user add NAME --roles admin   (password on standard input)")
        say(lines.joined(separator: "\n"))
    }
}
