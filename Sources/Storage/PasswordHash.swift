import Crypto
import _CryptoExtras

/// Password hashes as self-describing strings:
/// `scrypt$LOG2N$R$P$SALT$HASH` (salt and hash in lowercase hex).
///
/// scrypt is memory-hard, so guessing offline is expensive; the parameters
/// travel with the hash, so they can be raised later without breaking old
/// hashes. Passwords themselves are never stored or logged.
public enum PasswordHash {
    public struct Cost: Sendable, Equatable {
        public var log2N: Int
        public var r: Int
        public var p: Int
        /// About 16 MiB and tens of milliseconds per hash.
        public static let standard = Cost(log2N: 14, r: 8, p: 1)
        /// For tests only: fast, and far too weak for real passwords.
        public static let testOnly = Cost(log2N: 4, r: 1, p: 1)
        public init(log2N: Int, r: Int, p: Int) { self.log2N = log2N; self.r = r; self.p = p }
    }

    public static func make(password: String, cost: Cost = .standard) -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &generator) }
        let hash = derive(password: password, salt: salt, cost: cost)!
        return "scrypt$\(cost.log2N)$\(cost.r)$\(cost.p)$\(hex(salt))$\(hex(hash))"
    }

    /// True when `password` matches `stored`. A malformed `stored` never matches.
    public static func verify(password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt",
              let log2N = Int(parts[1]), (1...20).contains(log2N),
              let r = Int(parts[2]), (1...32).contains(r),
              let p = Int(parts[3]), (1...16).contains(p),
              let salt = unhex(parts[4]), let expected = unhex(parts[5]), expected.count == 32,
              let actual = derive(password: password, salt: salt, cost: Cost(log2N: log2N, r: r, p: p))
        else { return false }
        // Constant time: the comparison does not stop at the first difference.
        var difference: UInt8 = 0
        for (a, b) in zip(actual, expected) { difference |= a ^ b }
        return difference == 0
    }

    private static func derive(password: String, salt: [UInt8], cost: Cost) -> [UInt8]? {
        guard let key = try? KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: 32,
            rounds: 1 << cost.log2N, blockSize: cost.r, parallelism: cost.p)
        else { return nil }
        return key.withUnsafeBytes { Array($0) }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    private static func unhex(_ s: Substring) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0, !u.isEmpty else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            default: return nil
            }
        }
        var i = 0
        while i < u.count {
            guard let hi = nibble(u[i]), let lo = nibble(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
