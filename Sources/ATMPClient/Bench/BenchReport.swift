/// `atmpctl bench`'s output: a few aligned lines for people, or one JSON
/// object whose keys are stable for scripts (docs/atmpctl.md lists them).
public enum BenchReport {
    public static func text(_ result: BenchResult) -> String {
        let l = result.latency
        var lines = [
            "bench-loop: \(result.connections) connection\(result.connections == 1 ? "" : "s"), \(result.cases) cases, "
                + "pipeline \(result.pipeline), \(fixed(result.elapsed.seconds, 2)) s (setup \(fixed(result.setup.seconds, 2)) s)",
            "changes     \(result.acknowledged) acknowledged, \(fixed(result.changesPerSecond, 1)) changes/s",
            "latency     p50 \(milliseconds(l.p50)) ms  p99 \(milliseconds(l.p99)) ms  "
                + "p99.9 \(milliseconds(l.p999)) ms  max \(milliseconds(l.max)) ms",
            "replies     " + result.replies.keys.sorted().map { "\($0): \(result.replies[$0]!)" }.joined(separator: "  "),
        ]
        if result.replies.isEmpty { lines[3] += "none" }
        lines += result.errors.map { "error       " + $0 }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One line of JSON; keys in a fixed order, latencies in whole microseconds.
    public static func json(_ result: BenchResult) -> String {
        let l = result.latency
        let replies = result.replies.keys.sorted().map { "\"\($0)\":\(result.replies[$0]!)" }.joined(separator: ",")
        let errors = result.errors.map(quoted).joined(separator: ",")
        let members: [(String, String)] = [
            ("connections", String(result.connections)),
            ("cases", String(result.cases)),
            ("pipeline", String(result.pipeline)),
            ("duration_s", fixed(result.duration.seconds, 3)),
            ("elapsed_s", fixed(result.elapsed.seconds, 3)),
            ("setup_s", fixed(result.setup.seconds, 3)),
            ("acknowledged", String(result.acknowledged)),
            ("refused", String(result.refused)),
            ("changes_per_s", fixed(result.changesPerSecond, 1)),
            ("p50_us", String(l.p50)),
            ("p99_us", String(l.p99)),
            ("p999_us", String(l.p999)),
            ("max_us", String(l.max)),
            ("replies", "{" + replies + "}"),
            ("errors", "[" + errors + "]"),
        ]
        return "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}\n"
    }

    /// Microseconds as milliseconds with three decimals: 1234 → "1.234".
    static func milliseconds(_ microseconds: UInt64) -> String {
        "\(microseconds / 1000)." + String(String(microseconds % 1000 + 1000).dropFirst())
    }

    /// `value` rounded to `decimals` places, without Foundation's formatting.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let unit = Int64(scale)
        let whole = "\(value < 0 && scaled != 0 ? "-" : "")\(scaled / unit)"
        guard decimals > 0 else { return whole }
        let fraction = String(scaled % unit)
        return whole + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
