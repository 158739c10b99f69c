import Testing
@testable import AuditLog

@Suite struct TimestampTests {
    // Microsecond values computed independently with Python's datetime.
    static let knownInstants: [(String, Int64)] = [
        ("1970-01-01T00:00:00.000000Z", 0),
        ("1969-12-31T23:59:59.999999Z", -1),
        ("2026-11-22T21:04:05.123456Z", 1_795_381_445_123_456),
        ("2000-02-29T12:00:00.000000Z", 951_825_600_000_000),
        ("1900-03-01T00:00:00.000000Z", -2_203_891_200_000_000),
        ("1600-02-29T23:59:59.999999Z", -11_670_912_000_000_001),
        ("0001-01-01T00:00:00.000000Z", Timestamp.earliest.microseconds),
        ("9999-12-31T23:59:59.999999Z", Timestamp.latest.microseconds),
    ]

    @Test(arguments: knownInstants)
    func formatsAndParsesKnownInstants(text: String, micros: Int64) throws {
        #expect(Timestamp(microseconds: micros).rfc3339 == text)
        #expect(try Timestamp(rfc3339: text).microseconds == micros)
    }

    @Test func representableRangeIsYears0001Through9999() {
        #expect(Timestamp.earliest.isRepresentable)
        #expect(Timestamp.latest.isRepresentable)
        #expect(!Timestamp.earliest.adding(microseconds: -1).isRepresentable)
        #expect(!Timestamp.latest.adding(microseconds: 1).isRepresentable)
    }

    /// Walks every day of years 0001–9999 and checks the conversion against a
    /// naive calendar that just counts days forward.
    @Test func civilConversionAgreesWithANaiveCalendarForEveryDay() {
        var (year, month, day): (Int64, Int64, Int64) = (1, 1, 1)
        var days = Timestamp.days(fromCivilYear: 1, month: 1, day: 1)
        #expect(days == -719_162)
        var mismatches = 0
        while year <= 9999 {
            let civil = Timestamp.civil(fromDays: days)
            if civil != (year, month, day) || Timestamp.days(fromCivilYear: year, month: month, day: day) != days {
                mismatches += 1
            }
            days += 1
            day += 1
            if day > Timestamp.daysInMonth(year: year, month: month) {
                day = 1; month += 1
                if month > 12 { month = 1; year += 1 }
            }
        }
        #expect(mismatches == 0)
        #expect(days == 2_932_897)  // 10000-01-01
    }

    @Test func leapYearRules() {
        #expect(Timestamp.daysInMonth(year: 2000, month: 2) == 29)
        #expect(Timestamp.daysInMonth(year: 1900, month: 2) == 28)
        #expect(Timestamp.daysInMonth(year: 2024, month: 2) == 29)
        #expect(Timestamp.daysInMonth(year: 2026, month: 2) == 28)
    }

    static let rejected: [(String, Int)] = [
        ("2026-11-22T21:04:05Z", 20),                    // no fraction
        ("2026-11-22T21:04:05.123Z", 24),                 // 3 digits
        ("2026-11-22T21:04:05.1234567Z", 27),             // 7 digits
        ("2026-11-22T21:04:05.123456+00:00", 27),         // offset instead of Z
        ("2026-11-22t21:04:05.123456Z", 10),              // lowercase t
        ("2026-11-22T21:04:05.123456z", 26),              // lowercase z
        ("2026-11-22 21:04:05.123456Z", 10),              // space for T
        ("-026-11-22T21:04:05.123456Z", 0),               // negative year
        ("0000-01-01T00:00:00.000000Z", 0),               // year 0
        ("2026-13-01T00:00:00.000000Z", 5),
        ("2026-00-01T00:00:00.000000Z", 5),
        ("2026-02-29T00:00:00.000000Z", 8),               // not a leap year
        ("1900-02-29T00:00:00.000000Z", 8),               // century rule
        ("2026-04-31T00:00:00.000000Z", 8),
        ("2026-11-22T24:00:00.000000Z", 11),
        ("2026-11-22T23:60:00.000000Z", 14),
        ("2026-11-22T23:59:60.000000Z", 17),              // no leap seconds
        ("2026-11-22T21:04:05.12345aZ", 25),
        ("2026-11-22T21:04:05.123456Z ", 27),             // trailing space
        ("", 0),
    ]

    @Test(arguments: rejected)
    func rejectsOtherForms(text: String, offset: Int) {
        #expect(throws: TimestampParseError.self) { try Timestamp(rfc3339: text) }
        do {
            _ = try Timestamp(rfc3339: text)
        } catch {
            #expect(error.offset == offset, "\(text): \(error)")
        }
    }

    @Test func acceptsLeapDays() throws {
        #expect(try Timestamp(rfc3339: "2000-02-29T00:00:00.000000Z").rfc3339 == "2000-02-29T00:00:00.000000Z")
        #expect(try Timestamp(rfc3339: "2024-02-29T23:59:59.999999Z").rfc3339 == "2024-02-29T23:59:59.999999Z")
    }
}
