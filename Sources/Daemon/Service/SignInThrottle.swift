import AuditLog

/// Failed password checks per user name, across every connection of this
/// instance.
///
/// Why: the per-connection delay and close (`maxAuthFailures`) do not stop a
/// guesser who opens many connections. Once a name has had `limit` failures
/// within `window`, its password is not checked at all until the oldest of
/// them has aged out of the window; the attempt is answered as any failure
/// (535), so the lock says nothing about whether the name exists, and a
/// correct password does not get through either. A successful check clears
/// the name's record.
///
/// The price is that a guesser can keep a known user locked out for as long
/// as the guessing goes on; that user (or an admin on the Unix socket with
/// peer authentication) still has every other instance, and the auth.failed
/// events in the audit trail name the peer. Memory is bounded by `capacity`
/// names: past it, the names whose last failure is oldest are forgotten.
struct SignInThrottle: Sendable {
    let limit: Int
    let window: Duration
    let capacity: Int
    /// Per name, its failures' times within the window, oldest first.
    private var failures: [String: [Timestamp]] = [:]

    init(limit: Int, window: Duration, capacity: Int = 10_000) {
        precondition(limit >= 1 && capacity >= 1)
        self.limit = limit
        self.window = window
        self.capacity = capacity
    }

    /// Whether `user`'s password may be checked now.
    func mayTry(_ user: String, now: Timestamp) -> Bool {
        guard let times = failures[user] else { return true }
        return times.count(where: { within($0, now) }) < limit
    }

    mutating func failed(_ user: String, now: Timestamp) {
        var times = failures[user, default: []].filter { within($0, now) }
        times.append(now)
        failures[user] = Array(times.suffix(limit))
        if failures.count > capacity { forgetOldest(now: now) }
    }

    mutating func succeeded(_ user: String) { failures[user] = nil }

    /// How many names are tracked (for tests and STATS-style checks).
    var trackedNames: Int { failures.count }

    private func within(_ time: Timestamp, _ now: Timestamp) -> Bool {
        now.microseconds - time.microseconds < Self.microseconds(window)
    }

    /// Drops names with no failure in the window, then, if still over
    /// capacity, those whose last failure is oldest, down to a tenth below
    /// capacity: a guesser spraying new names then costs one sort per many
    /// failures, not one per failure.
    private mutating func forgetOldest(now: Timestamp) {
        failures = failures.filter { $0.value.last.map { within($0, now) } ?? false }
        guard failures.count > capacity else { return }
        let keep = capacity - max(1, capacity / 10)
        let byLast = failures.sorted { ($0.value.last?.microseconds ?? 0) < ($1.value.last?.microseconds ?? 0) }
        for (name, _) in byLast.prefix(failures.count - keep) { failures[name] = nil }
    }

    private static func microseconds(_ d: Duration) -> Int64 {
        let (seconds, attoseconds) = d.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
