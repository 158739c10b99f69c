import ATMPClient
import Testing

@Suite("LineEditor")
struct LineEditorTests {
    func editor(typing text: String, history: [String] = []) -> LineEditor {
        var editor = LineEditor(history: History(history))
        _ = editor.handle(.text(text))
        return editor
    }

    @Test func typingInsertsAtTheCursor() {
        var editor = editor(typing: "CASE SHOW")
        #expect(editor.line == "CASE SHOW" && editor.cursor == 9)
        _ = editor.handle(.home)
        #expect(editor.handle(.text("+")) == .redraw)
        #expect(editor.line == "+CASE SHOW" && editor.cursor == 1)
        _ = editor.handle(.end)
        #expect(editor.cursor == 10)
    }

    @Test func leftAndRightStopAtTheEdges() {
        var editor = editor(typing: "ab")
        #expect(editor.handle(.right) == .bell)
        #expect(editor.handle(.left) == .redraw && editor.cursor == 1)
        #expect(editor.handle(.left) == .redraw && editor.cursor == 0)
        #expect(editor.handle(.left) == .bell && editor.cursor == 0)
        #expect(editor.handle(.right) == .redraw && editor.cursor == 1)
    }

    @Test func backspaceAndDelete() {
        var editor = editor(typing: "abc")
        _ = editor.handle(.left)
        #expect(editor.handle(.backspace) == .redraw)
        #expect(editor.line == "ac" && editor.cursor == 1)
        #expect(editor.handle(.delete) == .redraw)
        #expect(editor.line == "a" && editor.cursor == 1)
        #expect(editor.handle(.delete) == .bell)
        _ = editor.handle(.home)
        #expect(editor.handle(.backspace) == .bell)
        #expect(editor.line == "a")
    }

    @Test func killToEndAndToStart() {
        var editor = editor(typing: "hello world")
        for _ in 0..<5 { _ = editor.handle(.left) }
        _ = editor.handle(.killToEnd)
        #expect(editor.line == "hello " && editor.cursor == 6)
        _ = editor.handle(.left)
        _ = editor.handle(.killToStart)
        #expect(editor.line == " " && editor.cursor == 0)
    }

    @Test func enterSubmitsClearsAndRemembers() {
        var editor = editor(typing: "PING")
        #expect(editor.handle(.enter) == .submit("PING"))
        #expect(editor.line.isEmpty && editor.cursor == 0)
        #expect(editor.history.entries == ["PING"])
        #expect(editor.handle(.enter) == .submit(""))
        #expect(editor.history.entries == ["PING"], "empty lines are not remembered")
    }

    @Test func ctrlCClearsTheLine() {
        var editor = editor(typing: "CASE HOLD C-1")
        #expect(editor.handle(.interrupt) == .cancel)
        #expect(editor.line.isEmpty && editor.cursor == 0)
        #expect(editor.history.entries.isEmpty)
    }

    @Test func ctrlDExitsOnlyOnAnEmptyLine() {
        var editor = editor(typing: "ab")
        _ = editor.handle(.home)
        #expect(editor.handle(.endOfInput) == .redraw)
        #expect(editor.line == "b")
        _ = editor.handle(.endOfInput)
        #expect(editor.handle(.endOfInput) == .exit)
    }

    @Test func historyUpAndDownKeepTheDraft() {
        var editor = editor(typing: "dra", history: ["one", "two"])
        #expect(editor.handle(.down) == .bell)
        #expect(editor.handle(.up) == .redraw && editor.line == "two" && editor.cursor == 3)
        #expect(editor.handle(.up) == .redraw && editor.line == "one")
        #expect(editor.handle(.up) == .bell && editor.line == "one")
        #expect(editor.handle(.down) == .redraw && editor.line == "two")
        #expect(editor.handle(.down) == .redraw && editor.line == "dra")
        #expect(editor.handle(.down) == .bell)
    }

    @Test func pastedNewlinesBecomeSpacesAndIgnoredKeysDoNothing() {
        var editor = editor(typing: "a\nb")
        #expect(editor.line == "a b")
        #expect(editor.handle(.ignored) == .none)
        #expect(editor.line == "a b")
    }

    @Test func renderRedrawsAndPlacesTheCursor() {
        var editor = editor(typing: "abcd")
        #expect(editor.render(prompt: "> ") == "\r> abcd\u{1B}[K")
        _ = editor.handle(.left)
        _ = editor.handle(.left)
        #expect(editor.render(prompt: "> ") == "\r> abcd\u{1B}[K\u{1B}[2D")
    }

    @Test func unicodeIsOneCharacterPerKey() {
        var editor = editor(typing: "Zoë")
        _ = editor.handle(.backspace)
        #expect(editor.line == "Zo")
    }
}

@Suite("KeyDecoder")
struct KeyDecoderTests {
    @Test func controlKeysAndEscapeSequences() {
        var decoder = KeyDecoder()
        let keys = decoder.feed(Array("\u{1B}[A\u{1B}[B\u{1B}[C\u{1B}[D\u{1B}[H\u{1B}[F\u{1B}OH\u{1B}OF\u{1B}[1~\u{1B}[4~\u{1B}[3~".utf8)
                                + [0x7F, 0x08, 0x0D, 0x03, 0x04, 0x01, 0x05, 0x0B, 0x15, 0x10, 0x0E, 0x02, 0x06])
        #expect(keys == [.up, .down, .right, .left, .home, .end, .home, .end, .home, .end, .delete,
                         .backspace, .backspace, .enter, .interrupt, .endOfInput, .home, .end, .killToEnd,
                         .killToStart, .up, .down, .left, .right])
    }

    @Test func sequencesSplitAcrossReadsAreJoined() {
        var decoder = KeyDecoder()
        #expect(decoder.feed([0x1B]).isEmpty)
        #expect(decoder.isWaiting)
        #expect(decoder.feed([UInt8(ascii: "[")]).isEmpty)
        #expect(decoder.feed([UInt8(ascii: "D")]) == [.left])
        // A UTF-8 character split in two.
        let e = Array("é".utf8)
        #expect(decoder.feed([e[0]]).isEmpty)
        #expect(decoder.feed([e[1]]) == [.text("é")])
    }

    @Test func textRunsAreOneKeyAndUnknownSequencesAreIgnored() {
        var decoder = KeyDecoder()
        #expect(decoder.feed(Array("PING".utf8)) == [.text("PING")])
        #expect(decoder.feed(Array("\u{1B}[5~x".utf8)) == [.ignored, .text("x")])
        #expect(decoder.feed([0x1B]).isEmpty)
        #expect(decoder.flush() == [.ignored])
        #expect(!decoder.isWaiting)
    }
}

@Suite("History")
struct HistoryTests {
    @Test func boundedWithoutRepeatsOrSecrets() {
        var history = History(limit: 3)
        for line in ["a", "a", "b", "AUTH user=x password=y", "user password bob password=z", "  ", "c", "d"] {
            history.add(line)
        }
        #expect(history.entries == ["b", "c", "d"])
        #expect(History(fileText: "x\ny\nauth user=a password=b\n").entries == ["x", "y"])
        #expect(History(["p", "q"]).fileText == "p\nq\n")
    }
}
