import Foundation
import SocketTestSupport
import Testing

/// atmpctl over TLS to a real atmpd serving TCP with a certificate from a
/// throwaway CA (made by `openssl`).
@Suite struct TLSCommandTests {
    static func tlsDaemon(_ certificates: TestCertificates, certificate: String? = nil, key: String? = nil) throws
        -> (AtmpdProcess, Int)
    {
        let daemon = try AtmpdProcess.real(users: ["root": "admin"], serveArguments: [
            "--listen", "127.0.0.1:0",
            "--tls-cert", certificate ?? certificates.serverCertificate, "--tls-key", key ?? certificates.serverKey,
        ])
        return (daemon, try #require(daemon.tcpPort, "no TCP port in the log: \(daemon.logText)"))
    }

    /// Runs `atmpctl COMMAND… OPTIONS… --host HOST --port PORT` as root (options follow the subcommand).
    static func atmpctlTCP(_ command: [String], _ options: [String] = [], port: Int, host: String = "127.0.0.1") throws -> Run {
        try atmpctl(command + options + ["--host", host, "--port", String(port)], environment: [
            "ATMP_SOCKET": nil, "ATMP_HOST": nil, "ATMP_USER": "root", "ATMP_PASSWORD": "root-password",
            "ATMP_TLS": nil, "ATMP_CA_FILE": nil,
        ])
    }

    @Test func withTheCAFileItWorksEndToEnd() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let (daemon, port) = try Self.tlsDaemon(certificates)
        defer { withExtendedLifetime(daemon) {} }  // released, it would be killed
        for host in ["127.0.0.1", "localhost"] {
            let run = try Self.atmpctlTCP(["user", "list"], ["--tls", "--ca-file", certificates.caCertificate],
                                          port: port, host: host)
            #expect(run.status == 0, "\(host): \(run.stderr)")
            #expect(run.stdout.contains("root"), "\(host): \(run.stdout)")
        }
        // --ca-file alone means TLS too.
        let implied = try Self.atmpctlTCP(["template", "list"], ["--ca-file", certificates.caCertificate], port: port)
        #expect(implied.status == 0, "\(implied.stderr)")
    }

    @Test func anUntrustedCertificateFailsClearly() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        // Trusting only the system's CAs: the test CA is not among them.
        let (daemon, port) = try Self.tlsDaemon(certificates)
        defer { withExtendedLifetime(daemon) {} }
        let system = try Self.atmpctlTCP(["user", "list"], ["--tls"], port: port)
        #expect(system.status == 69, "\(system.stderr)")
        #expect(system.stderr.contains("certificate is not trusted"), "\(system.stderr)")
        // A self-signed certificate that the given CA never signed.
        let (rogueDaemon, roguePort) = try Self.tlsDaemon(certificates, certificate: certificates.rogueCertificate,
                                                          key: certificates.rogueKey)
        defer { withExtendedLifetime(rogueDaemon) {} }
        let rogue = try Self.atmpctlTCP(["user", "list"], ["--tls", "--ca-file", certificates.caCertificate], port: roguePort)
        #expect(rogue.status == 69, "\(rogue.stderr)")
        #expect(rogue.stderr.contains("certificate is not trusted"), "\(rogue.stderr)")
        #expect(!rogue.stdout.contains("root"))
    }

    @Test func plainAtmpctlOnTheTLSPortIsNotGreeted() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let (daemon, port) = try Self.tlsDaemon(certificates)
        defer { withExtendedLifetime(daemon) {} }
        let plain = try Self.atmpctlTCP(["user", "list"], ["--timeout", "5"], port: port)
        #expect(plain.status == 69, "\(plain.stderr)")
        #expect(!plain.stdout.contains("root"))
    }

    @Test func tlsToAPlainPortOrAUnixSocketIsRefused() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let daemon = try AtmpdProcess.real(users: ["root": "admin"], serveArguments: ["--listen", "127.0.0.1:0"])
        let port = try #require(daemon.tcpPort)
        let wrong = try Self.atmpctlTCP(["user", "list"], ["--tls", "--ca-file", certificates.caCertificate], port: port)
        #expect(wrong.status == 69, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("TLS handshake failed"), "\(wrong.stderr)")
        // The plain loopback port still works plainly.
        #expect(try Self.atmpctlTCP(["user", "list"], port: port).status == 0)
        let unix = try atmpctl(["user", "list", "--socket", daemon.socket, "--tls"], environment: [
            "ATMP_USER": "root", "ATMP_PASSWORD": "root-password", "ATMP_HOST": nil,
        ])
        #expect(unix.status == 64, "\(unix.stderr)")
        #expect(unix.stderr.contains("TLS is for TCP"), "\(unix.stderr)")
        let badCA = try Self.atmpctlTCP(["user", "list"], ["--ca-file", certificates.directory + "/none.pem"], port: port)
        #expect(badCA.status == 64 && badCA.stderr.contains("cannot read CA file"), "\(badCA.stderr)")
    }
}
