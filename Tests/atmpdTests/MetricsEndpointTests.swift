import Foundation
import SocketTestSupport
import Testing

/// `--metrics-listen` on the atmpd binary: off by default, served when set, refused when taken.
@Suite struct AtmpdMetricsTests {
    @Test func servesPrometheusMetricsWhenAsked() async throws {
        let directory = try temporaryDirectory()
        let socket = "\(directory)/atmpd.sock"
        let daemon = try Daemon(["--database", "sqlite:\(directory)/atmp.db", "--socket", socket,
                                 "--metrics-listen", "127.0.0.1:0", "--log-level", "warning"])
        try await daemon.waitForOutput("/metrics")
        let line = try #require(daemon.stdout.split(separator: "\n").first { $0.contains("metrics at http://127.0.0.1:") })
        let port = try #require(Int(line.split(separator: ":").last?.split(separator: "/").first ?? ""))
        try await daemon.waitForOutput("listening on \(socket)")
        let client = try TestClient(unixSocket: socket)
        _ = try await client.readLine()
        try await client.send("PING\n")
        #expect(try await client.readFinal() == "250 OK pong")

        let http = try TestClient(loopbackPort: port)
        try await http.send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let response = try await http.readToEnd()
        #expect(response.first == "HTTP/1.1 200 OK")
        #expect(response.contains(#"atmpd_requests_total{command="PING",code="250"} 1"#), "\(response)")
        #expect(response.contains("atmpd_connections_open 1.0"))
        #expect(response.contains { $0.hasPrefix(#"atmpd_pool_connections{state="size"} "#) })
        daemon.terminate()
        #expect(try await daemon.exitStatus() == 0, "\(daemon.stderr)")
    }

    @Test func offByDefault() async throws {
        let directory = try temporaryDirectory()
        let socket = "\(directory)/atmpd.sock"
        let daemon = try Daemon(["--database", "sqlite:\(directory)/atmp.db", "--socket", socket, "--log-level", "warning"])
        try await daemon.waitForOutput("listening on \(socket)")
        #expect(!daemon.stdout.contains("metrics"))
        daemon.terminate()
        #expect(try await daemon.exitStatus() == 0, "\(daemon.stderr)")
    }

    @Test func aTakenMetricsPortStopsAtmpdWithAMessage() async throws {
        let directory = try temporaryDirectory()
        // Hold a port by listening on it.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(holder, $0, length) == 0 && listen(holder, 1) == 0 && getsockname(holder, $0, &length) == 0
            }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let run = try await atmpd(["--database", "sqlite:\(directory)/atmp.db", "--socket", "\(directory)/atmpd.sock",
                                   "--metrics-listen", "127.0.0.1:\(port)"])
        #expect(run.status == 73, "\(run.stderr)")  // EX_CANTCREAT, as for a taken control socket
        #expect(run.stderr.contains("cannot listen for metrics on 127.0.0.1:\(port)"), "\(run.stderr)")
    }
}
