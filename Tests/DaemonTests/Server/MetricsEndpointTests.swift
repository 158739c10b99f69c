import Foundation
import Logging
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import SocketTestSupport
import Storage
import Synchronization
import Testing
@testable import Daemon

/// The Prometheus text the endpoint serves, and the endpoint itself on a real socket.
@Suite struct MetricsEndpointTests {
    /// Every sample line of the text format: `name{labels} value`, the value a number.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                Issue.record("not a sample line: \(line)")
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    static let logger: Logger = {
        var logger = Logger(label: "atmp.test.metrics")
        logger.logLevel = .critical
        return logger
    }()

    /// An endpoint on a free loopback port, run in a ServiceGroup; returns once it is bound.
    static func startEndpoint(for service: CommandService, limits: MetricsEndpoint.Limits = .init()) async throws
        -> (group: ServiceGroup, run: Task<Void, any Error>, port: Int)
    {
        let (bound, signal) = AsyncStream.makeStream(of: Int.self)
        let endpoint = MetricsEndpoint(address: .init(host: "127.0.0.1", port: 0), service: service, limits: limits,
                                       logger: logger,
                                       onListening: { signal.yield($0); signal.finish() })
        let group = ServiceGroup(services: [endpoint], logger: logger)
        let run = Task {
            defer { signal.finish() }
            try await group.run()
        }
        var iterator = bound.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await run.value
            throw ClientError("the metrics endpoint did not start")
        }
        return (group, run, port)
    }

    @Test("recordings come out in Prometheus' text format")
    func textFormat() throws {
        let metrics = DaemonMetrics()
        metrics.requestAnswered(command: "CASE OPEN", code: 250, duration: .microseconds(700))
        metrics.requestAnswered(command: "CASE OPEN", code: 250, duration: .milliseconds(30))
        metrics.requestAnswered(command: "CASE ADVANCE", code: 553, duration: .microseconds(50))
        metrics.changeCommitted(events: 1)
        metrics.changeCommitted(events: 2, overdue: true)
        metrics.conflict()
        metrics.storeError(.unavailable)
        metrics.storeError(.conflict)  // not a store error: the request's own doing
        metrics.connectionAccepted()
        metrics.connectionAccepted()
        metrics.connectionClosed()
        let group = GroupCommitStatus(lanes: 2, lanesRunning: 1, queued: 3, batches: 4, changes: 9, largestBatch: 5,
                                      spinHits: 6, retriedAlone: 7, laneReads: 11, laneHandBacks: 12)
        let pool = PoolStatus(size: 8, open: 3, idle: 1, waiting: 0, connectFailures: 2, groupCommit: group)
        let text = metrics.prometheusText(sampling: .init(watchers: 1, pool: pool, caseCacheEntries: 5,
                                                          caseCacheHits: 10, caseCacheMisses: 4))
        let samples = Self.samples(text)
        #expect(samples[#"atmpd_requests_total{command="CASE OPEN",code="250"}"#] == 2)
        #expect(samples[#"atmpd_requests_total{command="CASE ADVANCE",code="553"}"#] == 1)
        #expect(samples[#"atmpd_request_duration_seconds_count{command="CASE OPEN"}"#] == 2)
        #expect(samples[#"atmpd_request_duration_seconds_bucket{command="CASE OPEN",le="0.001"}"#] == 1)
        #expect(samples[#"atmpd_request_duration_seconds_bucket{command="CASE OPEN",le="0.05"}"#] == 2)
        #expect(samples[#"atmpd_request_duration_seconds_bucket{command="CASE ADVANCE",le="0.0001"}"#] == 1)
        #expect(samples["atmpd_changes_total"] == 2)
        #expect(samples["atmpd_change_events_total"] == 3)
        #expect(samples["atmpd_overdue_events_total"] == 2)
        #expect(samples["atmpd_conflicts_total"] == 1)
        #expect(samples[#"atmpd_store_errors_total{kind="unavailable"}"#] == 1)
        #expect(samples[#"atmpd_store_errors_total{kind="failure"}"#] == 0)
        #expect(samples["atmpd_connections_open"] == 1)
        #expect(samples["atmpd_connections_accepted_total"] == 2)
        #expect(samples["atmpd_watchers_open"] == 1)
        #expect(samples[#"atmpd_pool_connections{state="in_use"}"#] == 2)
        #expect(samples[#"atmpd_pool_connections{state="size"}"#] == 8)
        #expect(samples[#"atmpd_case_cache_lookups_total{result="hit"}"#] == 10)
        #expect(samples["atmpd_pool_connect_failures_total"] == 2)
        #expect(samples["atmpd_group_commit_batches_total"] == 4)
        #expect(samples["atmpd_group_commit_changes_total"] == 9)
        #expect(samples["atmpd_group_commit_queued"] == 3)
        #expect(samples["atmpd_group_commit_spin_hits_total"] == 6)
        #expect(samples["atmpd_group_commit_retried_alone_total"] == 7)
        #expect(samples["atmpd_group_commit_lane_reads_total"] == 11)
        #expect(samples["atmpd_group_commit_lane_hand_backs_total"] == 12)
        #expect(text.contains("# TYPE atmpd_requests_total counter"))
        #expect(text.contains("# HELP atmpd_conflicts_total "))

        // Sampled totals grow by what changed, however often they are scraped.
        _ = metrics.prometheusText(sampling: .init(pool: pool, caseCacheHits: 10, caseCacheMisses: 4))
        let again = Self.samples(metrics.prometheusText(sampling: .init(pool: pool, caseCacheHits: 13, caseCacheMisses: 4)))
        #expect(again[#"atmpd_case_cache_lookups_total{result="hit"}"#] == 13)
        #expect(again[#"atmpd_case_cache_lookups_total{result="miss"}"#] == 4)
        #expect(again["atmpd_pool_connect_failures_total"] == 2)
    }

    @Test("overdue scans and cluster events are sampled into both STATS and the text")
    func scansAndClusterEvents() throws {
        let metrics = DaemonMetrics()
        let cluster = DaemonStats.ClusterEvents(sent: 40, dropped: 2, queued: 3)
        let sample = DaemonMetrics.Sample(overdueScans: 7, overdueScansSkipped: 5, clusterEvents: cluster)
        let stats = metrics.stats(sampling: sample)
        let records = stats.records
        #expect(records.first?["overdue-scans"] == "7" && records.first?["overdue-scans-skipped"] == "5")
        let announced = try #require(records.first { $0.type == "cluster-events" })
        #expect(announced["sent"] == "40" && announced["dropped"] == "2" && announced["queued"] == "3")
        #expect(!metrics.stats(sampling: .init()).records.contains { $0.type == "cluster-events" })

        var samples = Self.samples(metrics.prometheusText(sampling: sample))
        #expect(samples[#"atmpd_overdue_scans_total{result="scanned"}"#] == 7)
        #expect(samples[#"atmpd_overdue_scans_total{result="skipped"}"#] == 5)
        #expect(samples[#"atmpd_cluster_events_total{result="sent"}"#] == 40)
        #expect(samples[#"atmpd_cluster_events_total{result="dropped"}"#] == 2)
        #expect(samples["atmpd_cluster_events_queued"] == 3)
        var later = sample
        later.overdueScans = 9
        later.clusterEvents?.sent = 41
        samples = Self.samples(metrics.prometheusText(sampling: later))
        #expect(samples[#"atmpd_overdue_scans_total{result="scanned"}"#] == 9)
        #expect(samples[#"atmpd_cluster_events_total{result="sent"}"#] == 41)
    }

    @Test("STATS and the endpoint tell the same counts")
    func sameFigures() throws {
        let metrics = DaemonMetrics()
        for code in [250, 250, 451] { metrics.requestAnswered(command: "CASE NOTE", code: code, duration: .milliseconds(2)) }
        metrics.conflict()
        let stats = metrics.stats(sampling: .init())
        let samples = Self.samples(metrics.prometheusText(sampling: .init()))
        let note = try #require(stats.commands.first { $0.command == "CASE NOTE" })
        #expect(Double(note.count) == samples[#"atmpd_request_duration_seconds_count{command="CASE NOTE"}"#])
        #expect(Double(note.replies[451] ?? 0) == samples[#"atmpd_requests_total{command="CASE NOTE",code="451"}"#])
        #expect(Double(stats.conflicts) == samples["atmpd_conflicts_total"])
        #expect(note.errors == 1)
        #expect((1_900...2_100).contains(note.p50))
    }

    @Test("only GET and HEAD of /metrics are served")
    func routing() {
        func head(_ method: HTTPMethod, _ uri: String) -> HTTPRequestHead {
            HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        }
        #expect(MetricsEndpoint.respond(to: head(.GET, "/metrics"), body: { "x" }).status == .ok)
        #expect(MetricsEndpoint.respond(to: head(.GET, "/metrics?name[]=x"), body: { "x" }).status == .ok)
        #expect(MetricsEndpoint.respond(to: head(.HEAD, "/metrics"), body: { "x" }).status == .ok)
        #expect(MetricsEndpoint.respond(to: head(.POST, "/metrics"), body: { "x" }).status == .methodNotAllowed)
        #expect(MetricsEndpoint.respond(to: head(.GET, "/"), body: { "x" }).status == .notFound)
        #expect(MetricsEndpoint.respond(to: head(.GET, "/metrics/../etc"), body: { "x" }).status == .notFound)
        let ok = MetricsEndpoint.respond(to: head(.GET, "/metrics"), body: { "atmpd_x 1\n" })
        #expect(ok.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(ok.body == "atmpd_x 1\n")
    }

    @Test("the endpoint serves the service's figures over HTTP, and stops on shutdown")
    func overHTTP() async throws {
        let server = try await TestServer.start()
        let (group, run, port) = try await Self.startEndpoint(for: server.service)

        // One control connection, so there is something to count.
        let client = try await server.connectGreeted()
        try await client.send("PING\n")
        #expect(try await client.readFinal().hasPrefix("250"))

        let http = try TestClient(loopbackPort: port)
        try await http.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let response = try await http.readToEnd().joined(separator: "\n")
        #expect(response.hasPrefix("HTTP/1.1 200 OK"))
        #expect(response.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"))
        #expect(response.contains(#"atmpd_requests_total{command="PING",code="250"} 1"#))
        #expect(response.contains("atmpd_connections_open 1"))
        #expect(response.contains("HTTP/1.1 404 Not Found"))

        let post = try TestClient(loopbackPort: port)
        try await post.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
        #expect(try await post.readToEnd().first == "HTTP/1.1 405 Method Not Allowed")

        await group.triggerGracefulShutdown()
        try await run.value
        #expect(throws: (any Error).self) { try TestClient(loopbackPort: port) }
        try await server.stop()
    }

    /// One keep-alive scrape on `client`; returns its status line.
    static func scrape(_ client: TestClient) async throws -> String? {
        try await client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        let status = try await client.readLine()
        var length = 0
        while let line = try await client.readLine(), !line.isEmpty {
            if line.lowercased().hasPrefix("content-length:") { length = Int(line.split(separator: " ").last ?? "") ?? 0 }
        }
        // The body: lines until its length is read.
        var read = 0
        while read < length, let line = try await client.readLine() { read += line.utf8.count + 1 }
        return status
    }

    @Test("connections beyond the limit are answered 503 and closed; a freed place is used again")
    func connectionLimit() async throws {
        let server = try await TestServer.start()
        let (group, run, port) = try await Self.startEndpoint(for: server.service, limits: .init(maxConnections: 2))

        // Two connections hold both places (each scraped once, so surely admitted).
        let first = try TestClient(loopbackPort: port)
        let second = try TestClient(loopbackPort: port)
        #expect(try await Self.scrape(first) == "HTTP/1.1 200 OK")
        #expect(try await Self.scrape(second) == "HTTP/1.1 200 OK")

        let third = try TestClient(loopbackPort: port)
        let refused = try await third.readToEnd()
        #expect(refused.first == "HTTP/1.1 503 Service Unavailable")
        #expect(refused.contains("Connection: close"))

        // The first goes away; its place is free once the endpoint has seen it go.
        first.hangUp()
        var served = false
        for _ in 0..<100 where !served {
            let next = try TestClient(loopbackPort: port)
            served = try await Self.scrape(next) == "HTTP/1.1 200 OK"
            if !served { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(served)
        #expect(try await Self.scrape(second) == "HTTP/1.1 200 OK")

        await group.triggerGracefulShutdown()
        try await run.value
        try await server.stop()
    }

    @Test("a connection that sends nothing for the idle timeout is closed")
    func idleTimeout() async throws {
        let server = try await TestServer.start()
        let (group, run, port) = try await Self.startEndpoint(
            for: server.service, limits: .init(idleTimeout: .milliseconds(300)))

        // Silent from the start: closed without a reply (readToEnd throws on
        // its 10 s receive timeout if the endpoint never closes).
        let silent = try TestClient(loopbackPort: port)
        let started = ContinuousClock.now
        #expect(try await silent.readToEnd().isEmpty)
        #expect(ContinuousClock.now - started >= .milliseconds(250))

        // Silent after a scrape: closed too, and the place is free for others.
        let scraper = try TestClient(loopbackPort: port)
        #expect(try await Self.scrape(scraper) == "HTTP/1.1 200 OK")
        #expect(try await scraper.readToEnd().isEmpty)

        await group.triggerGracefulShutdown()
        try await run.value
        try await server.stop()
    }

    @Test("shutdown closes a scraper's idle keep-alive connection instead of waiting for it")
    func shutdownClosesKeepAliveConnections() async throws {
        let server = try await TestServer.start()
        // An hour's idle timeout: only the shutdown can end this connection.
        let (group, run, port) = try await Self.startEndpoint(for: server.service, limits: .init(idleTimeout: .hours(1)))
        let scraper = try TestClient(loopbackPort: port)
        #expect(try await Self.scrape(scraper) == "HTTP/1.1 200 OK")

        await group.triggerGracefulShutdown()
        // Not a timing test: 30 s only tells "stopped" from "hangs". Polled,
        // because awaiting the run's value cannot be given up on.
        let finished = Mutex(false)
        Task { _ = try? await run.value; finished.withLock { $0 = true } }
        var stopped = false
        for _ in 0..<300 where !stopped {
            try await Task.sleep(for: .milliseconds(100))
            stopped = finished.withLock { $0 }
        }
        #expect(stopped, "the endpoint still runs 30 s after shutdown was asked for")
        if !stopped { run.cancel() }
        // Closed by the endpoint: end of file, not the client's 10 s receive timeout.
        #expect(try await scraper.readToEnd().isEmpty)
        try await server.stop()
    }

    @Test("a port already taken stops the endpoint with a start error")
    func portTaken() async throws {
        let server = try await TestServer.start()
        let (firstGroup, firstRun, port) = try await Self.startEndpoint(for: server.service)
        let second = MetricsEndpoint(address: .init(host: "127.0.0.1", port: port), service: server.service,
                                     logger: Self.logger)
        await #expect(throws: ControlServer.StartError.self) { try await second.run() }
        await firstGroup.triggerGracefulShutdown()
        try await firstRun.value
        try await server.stop()
    }
}
