// RFC 3339 text of a `Timestamp`, in the single form the audit format allows:
// `YYYY-MM-DDTHH:MM:SS.ffffffZ` — UTC, exactly six fractional digits, `Z`.
//
// No Foundation: the calendar arithmetic is Howard Hinnant's days-from-civil /
// civil-from-days (http://howardhinnant.github.io/date_algorithms.html), which
// is exact for the proleptic Gregorian calendar and needs no tables or locks.

/// Why a text is not an audit timestamp. `offset` is the byte offset (0-based)
/// of the first offending byte within the text.
public struct TimestampParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public init(offset: Int, message: String) { self.offset = offset; self.message = message }
    public var description: String { "invalid timestamp at byte \(offset): \(message)" }
}

extension Timestamp {
    /// The earliest representable instant, `0001-01-01T00:00:00.000000Z`.
    public static let earliest = Timestamp(microseconds: -62_135_596_800 * 1_000_000)
    /// The latest representable instant, `9999-12-31T23:59:59.999999Z`.
    public static let latest = Timestamp(microseconds: 253_402_300_799 * 1_000_000 + 999_999)

    /// Whether the instant lies in years 0001–9999, the range RFC 3339 text can hold.
    public var isRepresentable: Bool { self >= .earliest && self <= .latest }

    /// Number of bytes of every audit timestamp text.
    public static let rfc3339Length = 27

    /// The audit text form, e.g. `2026-11-22T21:04:05.123456Z`.
    ///
    /// - Precondition: `isRepresentable` (years 0001–9999). Timestamps come from
    ///   the server's clock, so anything else is a programming error.
    public var rfc3339: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.rfc3339Length)
        appendRFC3339(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the audit text form (27 ASCII bytes) to `out`; the allocation-free
    /// path used by canonical JSON.
    ///
    /// - Precondition: `isRepresentable`.
    public func appendRFC3339(to out: inout [UInt8]) {
        precondition(isRepresentable, "timestamp \(microseconds) µs is outside years 0001–9999")
        // Floor division, so instants before 1970 get a non-negative time of day.
        let micros = microseconds
        var days = micros / 86_400_000_000
        var microsOfDay = micros % 86_400_000_000
        if microsOfDay < 0 { microsOfDay += 86_400_000_000; days -= 1 }
        let (year, month, day) = Self.civil(fromDays: days)
        let secondsOfDay = microsOfDay / 1_000_000
        let fraction = microsOfDay % 1_000_000

        appendDigits(year, count: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(secondsOfDay / 3600, count: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondsOfDay / 60 % 60, count: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondsOfDay % 60, count: 2, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(fraction, count: 6, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// Parses exactly `YYYY-MM-DDTHH:MM:SS.ffffffZ` (uppercase `T` and `Z`, six
    /// fractional digits, years 0001–9999, a real calendar date, seconds 00–59).
    /// Every other RFC 3339 spelling — offsets, other precisions, lowercase
    /// letters, leap second 60 — is rejected, because the audit format has
    /// exactly one text per instant.
    public init(rfc3339 text: String) throws(TimestampParseError) {
        self = try Self.parse(rfc3339: text.utf8)
    }

    /// Parses the audit text form from UTF-8 bytes; see `init(rfc3339:)`.
    public static func parse(rfc3339 bytes: some Collection<UInt8>) throws(TimestampParseError) -> Timestamp {
        let text = Array(bytes)
        guard text.count == rfc3339Length else {
            throw TimestampParseError(
                offset: min(text.count, rfc3339Length),
                message: "expected exactly 27 characters of the form YYYY-MM-DDTHH:MM:SS.ffffffZ, got \(text.count)")
        }
        func number(_ start: Int, _ count: Int, _ what: String) throws(TimestampParseError) -> Int64 {
            var value: Int64 = 0
            for i in start..<(start + count) {
                let byte = text[i]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                    throw TimestampParseError(offset: i, message: "expected a digit of the \(what)")
                }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func literal(_ offset: Int, _ expected: Unicode.Scalar) throws(TimestampParseError) {
            guard text[offset] == UInt8(ascii: expected) else {
                throw TimestampParseError(offset: offset, message: "expected '\(expected)'")
            }
        }
        let year = try number(0, 4, "year")
        try literal(4, "-")
        let month = try number(5, 2, "month")
        try literal(7, "-")
        let day = try number(8, 2, "day")
        try literal(10, "T")
        let hour = try number(11, 2, "hour")
        try literal(13, ":")
        let minute = try number(14, 2, "minute")
        try literal(16, ":")
        let second = try number(17, 2, "second")
        try literal(19, ".")
        let fraction = try number(20, 6, "fraction")
        try literal(26, "Z")

        guard year >= 1 else { throw TimestampParseError(offset: 0, message: "year 0000 is out of range 0001–9999") }
        guard (1...12).contains(month) else { throw TimestampParseError(offset: 5, message: "month \(month) is not 01–12") }
        guard day >= 1, day <= daysInMonth(year: year, month: month) else {
            throw TimestampParseError(offset: 8, message: "day \(day) does not exist in \(year)-\(month)")
        }
        guard hour <= 23 else { throw TimestampParseError(offset: 11, message: "hour \(hour) is not 00–23") }
        guard minute <= 59 else { throw TimestampParseError(offset: 14, message: "minute \(minute) is not 00–59") }
        guard second <= 59 else { throw TimestampParseError(offset: 17, message: "second \(second) is not 00–59") }

        let days = Self.days(fromCivilYear: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second
        return Timestamp(microseconds: seconds * 1_000_000 + fraction)
    }

    // MARK: Calendar arithmetic (Hinnant)

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func days(fromCivilYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400                                          // [0, 399]
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1  // [0, 365]
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear  // [0, 146096]
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Proleptic Gregorian date of a day count since 1970-01-01.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097                                                         // [0, 146096]
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365  // [0, 399]
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)             // [0, 365]
        let mp = (5 * dayOfYear + 2) / 153                                                       // [0, 11]
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// Appends `value` (non-negative) as exactly `count` decimal digits, zero-padded.
@inline(__always)
private func appendDigits(_ value: Int64, count: Int, to out: inout [UInt8]) {
    var divisor: Int64 = 1
    for _ in 1..<count { divisor *= 10 }
    var rest = value
    while divisor > 0 {
        out.append(UInt8(truncatingIfNeeded: rest / divisor) &+ UInt8(ascii: "0"))
        rest %= divisor
        divisor /= 10
    }
}
