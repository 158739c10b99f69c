import SocketTestSupport
import Foundation
import Testing

/// `atmpd serve --listen`: plain TCP on loopback only, TLS files checked at start.
@Suite("atmpd TLS settings", .serialized)
struct AtmpdTLSTests {
    @Test(arguments: ["0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:7070"])
    func plainTCPOffLoopbackIsRefused(listen: String) async throws {
        let directory = try temporaryDirectory()
        let run = try await atmpd(["serve", "--data-dir", "\(directory)/data", "--listen", listen])
        #expect(run.status == 64, "\(listen): \(run.stderr)")
        #expect(run.stderr.contains("refusing plain TCP") && run.stderr.contains("--tls-cert"), "\(run.stderr)")
    }

    @Test func plainTCPOnLoopbackServes() async throws {
        let directory = try temporaryDirectory()
        let daemon = try Daemon(["serve", "--data-dir", "\(directory)/data", "--listen", "127.0.0.1:0"])
        try await daemon.waitForOutput("listening on TCP port")
        let port = try #require(Self.port(in: daemon.stdout))
        #expect(!daemon.stdout.contains("(TLS)"))
        let client = try TestClient(loopbackPort: port)
        #expect(try await client.readLine()?.hasPrefix("220 atmpd ") == true)
        daemon.terminate()
        #expect(try await daemon.exitStatus() == 0, "\(daemon.stderr)")
    }

    @Test func badTLSSettingsExit64WithAReason() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let directory = try temporaryDirectory()
        let listen = ["--listen", "127.0.0.1:0"]
        let cases: [([String], String)] = [
            (listen + ["--tls-cert", certificates.directory + "/none.pem", "--tls-key", certificates.serverKey],
             "cannot read TLS certificate"),
            (listen + ["--tls-cert", certificates.serverCertificate, "--tls-key", certificates.directory + "/none.key"],
             "cannot read TLS key"),
            (listen + ["--tls-cert", certificates.serverKey, "--tls-key", certificates.serverKey], "not a PEM certificate"),
            (listen + ["--tls-cert", certificates.serverCertificate, "--tls-key", certificates.rogueKey], "does not fit"),
            (listen + ["--tls-cert", certificates.serverCertificate], "--tls-cert needs --tls-key"),
            (listen + ["--tls-key", certificates.serverKey], "--tls-key needs --tls-cert"),
            (["--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey], "give --listen"),
        ]
        for (arguments, message) in cases {
            let run = try await atmpd(["serve", "--data-dir", "\(directory)/data"] + arguments)
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
    }

    /// The files from the environment (ATMP_TLS_CERT, ATMP_TLS_KEY); a plain client then gets no greeting.
    @Test func tlsFromTheEnvironmentServesTLSOnly() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let directory = try temporaryDirectory()
        let daemon = try Daemon(["serve", "--data-dir", "\(directory)/data", "--listen", "127.0.0.1:0"], environment: [
            "ATMP_TLS_CERT": certificates.serverCertificate, "ATMP_TLS_KEY": certificates.serverKey,
        ])
        try await daemon.waitForOutput("(TLS)")
        let port = try #require(Self.port(in: daemon.stdout))
        let plain = try TestClient(loopbackPort: port)
        try await plain.send("PING\r\n")
        #expect(!(try await plain.readToEnd()).contains { $0.hasPrefix("220") || $0.hasPrefix("250") })
        daemon.terminate()
        #expect(try await daemon.exitStatus() == 0, "\(daemon.stderr)")
    }

    static func port(in output: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("listening on TCP port") }) else { return nil }
        return line.split(separator: " ").compactMap { Int($0) }.first
    }
}
