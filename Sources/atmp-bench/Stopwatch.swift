import Foundation

/// Monotonic wall-clock timing for the benchmark (never used by the core).
struct Stopwatch {
    private let start = Stopwatch.ticks()
    var seconds: Double { Double(Stopwatch.ticks() - start) / 1e9 }

    /// Monotonic nanoseconds.
    static func ticks() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Median duration in seconds of `runs` calls of `body`.
    static func median(runs: Int, _ body: () -> Void) -> Double {
        var samples: [Double] = []
        for _ in 0..<runs {
            let watch = Stopwatch()
            body()
            samples.append(watch.seconds)
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}

func formatMilliseconds(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }
