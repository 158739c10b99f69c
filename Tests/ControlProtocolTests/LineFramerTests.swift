import Testing
@testable import ControlProtocol

@Suite struct LineFramerTests {
    @Test func cutsLinesAndDropsOneCR() {
        #expect(lines(["a\nb\r\n\nc"]) == ["a", "b", ""])
        #expect(lines(["x\r\r\n"]) == ["x\r"], "only the CR right before LF goes")
        #expect(lines(["a\rb\n"]) == ["a\rb"])
    }

    @Test func lineSplitAcrossManyFeeds() {
        let chunks = "CASE SHOW C-000001\r\nPING\n".map { String($0) }
        #expect(lines(chunks, max: 100) == ["CASE SHOW C-000001", "PING"])
        // CR and LF in separate feeds.
        #expect(lines(["abc\r", "\n", "d\r", "\r", "\n"]) == ["abc", "d\r"])
    }

    @Test func exactlyAtTheLimitPassesOneOverFails() {
        let sixteen = String(repeating: "x", count: 16)
        #expect(lines([sixteen + "\n"]) == [sixteen])
        #expect(lines([sixteen + "\r\n"]) == [sixteen], "the CR does not count")
        #expect(lines([sixteen + "y\n", "ok\n"]) == [nil, "ok"])
        // The same, arriving byte by byte.
        #expect(lines((sixteen + "\r\n").map { String($0) }) == [sixteen])
        #expect(lines((sixteen + "y\nok\n").map { String($0) }) == [nil, "ok"])
    }

    @Test func overlongLineIsNotBufferedAndReportedOnce() throws {
        var framer = LineFramer(maxLineLength: 16)
        for _ in 0..<1000 {
            framer.feed(String(repeating: "z", count: 100))
            #expect(framer.bufferedByteCount <= 17)
        }
        framer.feed("tail\nnext\n")
        #expect(throws: ProtocolError.lineTooLong("line longer than 16 bytes")) { try framer.nextLine() }
        #expect(try framer.nextLine() == Array("next".utf8))
        #expect(try framer.nextLine() == nil)
    }

    @Test func errorCarriesCodeAndKey() {
        var framer = LineFramer(maxLineLength: 4)
        framer.feed("12345\n")
        do {
            _ = try framer.nextLine()
            Issue.record("expected line-too-long")
        } catch {
            #expect(error.code == 500)
            #expect(error.key.rawValue == "line-too-long")
        }
    }

    @Test func incompleteLineWaits() throws {
        var framer = LineFramer()
        framer.feed("PIN")
        #expect(try framer.nextLine() == nil)
        framer.feed("G\n")
        #expect(try framer.nextLine() == Array("PING".utf8))
        #expect(LineFramer().maxLineLength == 16 * 1024)
    }
}
