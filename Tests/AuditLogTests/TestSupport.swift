@testable import AuditLog

/// Bytes of a hex string (fixtures generated once with Python).
func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { i in
        UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16)!
    }
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

let t0 = Timestamp(microseconds: 1_795_381_445_123_456)  // 2026-11-22T21:04:05.123456Z

/// A record with varied data, the `n`-th of a test chain.
func record(_ n: Int, action: String = "case.noted") -> AuditRecord {
    AuditRecord(
        at: t0.adding(seconds: Int64(n) * 60), actor: n % 2 == 0 ? "alice" : "bob", role: "sponsor",
        action: action, data: ["text": .string("note \(n)"), "n": .int(Int64(n))])
}

/// A sealed chain of `count` events.
func makeChain(_ name: String, count: Int) -> [AuditEvent] {
    var chain = AuditChain(name: name)
    return (1...count).map { chain.append(record($0)) }
}

/// Trail lines (canonical JSON with hash) of events.
func lines(_ events: [AuditEvent]) -> [[UInt8]] { events.map { $0.canonicalJSON(includingHash: true) } }
