import Foundation

/// A throwaway certificate authority and a server certificate it signed, made
/// with the `openssl` command (scripts/test installs it when missing), for TLS
/// tests. The server certificate names `localhost`, 127.0.0.1 and ::1; a second,
/// self-signed "rogue" certificate for the same names is signed by no one the
/// tests trust.
public struct TestCertificates: Sendable {
    public let directory: String
    public var caCertificate: String { directory + "/ca.pem" }
    public var serverCertificate: String { directory + "/server.pem" }
    public var serverKey: String { directory + "/server.key" }
    public var rogueCertificate: String { directory + "/rogue.pem" }
    public var rogueKey: String { directory + "/rogue.key" }

    /// Makes them all in a new temporary directory (a few hundred milliseconds: EC P-256 keys).
    public static func make() throws -> TestCertificates {
        let directory = "/tmp/atmp-tls-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let names = "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
        try Data((names + "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n").utf8)
            .write(to: URL(fileURLWithPath: directory + "/server.ext"))
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + key + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                     "-subj", "/CN=ATMP test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign"], in: directory)
        try openssl(["req", "-new"] + key + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
                    in: directory)
        try openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                     "-out", "server.pem", "-days", "2", "-extfile", "server.ext"], in: directory)
        try openssl(["req", "-x509"] + key + ["-keyout", "rogue.key", "-out", "rogue.pem", "-days", "2",
                     "-subj", "/CN=localhost", "-addext", String(names.dropLast())], in: directory)
        return TestCertificates(directory: directory)
    }

    private static func openssl(_ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClientError("openssl \(arguments.joined(separator: " ")) failed (is openssl installed?): "
                + String(decoding: output, as: UTF8.self))
        }
    }

    public func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
