import Testing
@testable import Workflow

@Suite struct DurationTests {
    @Test(arguments: [
        ("365d", 365 * 86_400), ("12h", 12 * 3_600), ("P45D", 45 * 86_400), ("PT12H", 12 * 3_600),
        ("P1DT12H", 86_400 + 12 * 3_600), ("PT30M", 1_800), ("P2W", 14 * 86_400), ("PT1H30M15S", 5_415),
    ] as [(String, Int64)])
    func parses(text: String, seconds: Int64) {
        #expect(TemplateDuration(parsing: text)?.seconds == seconds)
    }

    @Test(arguments: ["", "d", "10", "10m", "1y", "P1M", "P1Y", "P", "PT", "P1H", "PT1D", "P1DT",
                      "0d", "P0D", "-1d", "P1.5D", "PT12H1D", "P1D2D", "99999999999999d", "p1d", " 1d"])
    func rejects(text: String) {
        #expect(TemplateDuration(parsing: text) == nil)
    }
}
