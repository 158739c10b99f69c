import NIOCore
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TLS for the TCP listener: a certificate chain and private key read once at
/// start, turned into the context every accepted TCP connection's handshake uses.
///
/// Loading is eager so that a missing, unreadable or mismatched file stops
/// atmpd at start with a message, not at the first client's handshake.
public struct ServerTLS: Sendable {
    public let certificatePath: String
    public let keyPath: String
    let context: NIOSSLContext

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads the PEM certificate chain (server certificate first) and PEM private key.
    public init(certificatePath: String, keyPath: String) throws(LoadError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        try Self.requireReadable(certificatePath, what: "TLS certificate")
        try Self.requireReadable(keyPath, what: "TLS key")
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw LoadError(description: "TLS certificate \(certificatePath) is not a PEM certificate (\(error))")
        }
        guard !chain.isEmpty else {
            throw LoadError(description: "TLS certificate \(certificatePath) holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw LoadError(description: "TLS key \(keyPath) is not a PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        // TLS 1.0 and 1.1 are deprecated (RFC 8996).
        configuration.minimumTLSVersion = .tlsv12
        do {
            // BoringSSL refuses a key that does not belong to the certificate here.
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw LoadError(description:
                "TLS key \(keyPath) does not fit certificate \(certificatePath), or they cannot be used (\(error))")
        }
    }

    /// A clear "no such file" / "permission denied" rather than BoringSSL's generic failure.
    private static func requireReadable(_ path: String, what: String) throws(LoadError) {
        if access(path, R_OK) != 0 {
            throw LoadError(description: "cannot read \(what) \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Adds the server side of TLS to an accepted channel, before anything reads or writes it.
    func addHandler(to channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
    }
}

extension ServerConfiguration.TCPAddress {
    /// Whether the host is a loopback address (127.0.0.0/8, ::1 or `localhost`):
    /// the only place plain TCP is allowed, since nothing off the machine can reach it.
    public var isLoopback: Bool {
        if host.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            if bytes == [UInt8](repeating: 0, count: 15) + [1] { return true }  // ::1
            // ::ffff:127.x.y.z, an IPv4 loopback address written as IPv6.
            return bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
        }
        return false
    }
}
