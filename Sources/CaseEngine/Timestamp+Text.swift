import AuditLog

extension Timestamp {
    /// UTC time to the second (`2026-11-22T21:04:05Z`) for rejection messages.
    ///
    /// Only for people: audit events carry the exact RFC 3339 form, which is the
    /// AuditLog target's business. Civil-from-days after Howard Hinnant's algorithm.
    var messageText: String {
        let seconds = microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let h = secondOfDay / 3_600, m = (secondOfDay % 3_600) / 60, s = secondOfDay % 60
        return "\(year)-\(two(month))-\(two(day))T\(two(h)):\(two(m)):\(two(s))Z"
    }
}
