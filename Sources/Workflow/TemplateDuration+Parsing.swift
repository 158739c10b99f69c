extension TemplateDuration {
    /// Parses `Nd` (days), `Nh` (hours) or an ISO 8601 duration made of weeks,
    /// days, hours, minutes and seconds (`P45D`, `PT12H`, `P1DT12H`, `PT30M`, `P2W`).
    /// Months and years are refused: their length varies, and a regulatory
    /// clock must mean one thing. Zero and absurd (over 100 years) spans are refused too.
    public init?(parsing text: String) {
        let maxSeconds: Int64 = 100 * 366 * 86_400
        var seconds: Int64?
        if let last = text.last, last == "d" || last == "h", text.count > 1 {
            let digits = text.dropLast()
            if let n = Self.number(digits) {
                seconds = Self.multiply(n, last == "d" ? 86_400 : 3_600)
            }
        } else if text.hasPrefix("P") {
            seconds = Self.iso8601(text.dropFirst())
        }
        guard let seconds, seconds > 0, seconds <= maxSeconds else { return nil }
        self.init(seconds: seconds)
    }

    private static func iso8601(_ body: Substring) -> Int64? {
        var total: Int64 = 0
        var inTime = false
        var digits = Substring()
        var sawComponent = false, sawTimeComponent = false
        var lastUnitRank = -1  // units must come in order: W D T H M S
        for character in body {
            if character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            if character == "T" {
                guard !inTime, digits.isEmpty else { return nil }
                inTime = true
                continue
            }
            let unit: (rank: Int, seconds: Int64)
            switch (character, inTime) {
            case ("W", false): unit = (0, 7 * 86_400)
            case ("D", false): unit = (1, 86_400)
            case ("H", true): unit = (2, 3_600)
            case ("M", true): unit = (3, 60)
            case ("S", true): unit = (4, 1)
            default: return nil  // includes Y and date-part M (years, months)
            }
            guard unit.rank > lastUnitRank, let n = number(digits),
                  let part = multiply(n, unit.seconds) else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(part)
            guard !overflow else { return nil }
            total = sum
            lastUnitRank = unit.rank
            digits = ""
            sawComponent = true
            if inTime { sawTimeComponent = true }
        }
        guard digits.isEmpty, sawComponent, !inTime || sawTimeComponent else { return nil }
        return total
    }

    private static func number(_ digits: Substring) -> Int64? {
        guard !digits.isEmpty, digits.count <= 12,
              digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(digits)
    }

    private static func multiply(_ a: Int64, _ b: Int64) -> Int64? {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : product
    }
}
