import Testing
@testable import ControlProtocol

@Suite struct RequestErrorTests {
    @Test(arguments: [
        [0x50, 0x00, 0x49],             // NUL
        [0x50, 0x0B],                   // vertical tab
        [0x50, 0x0D, 0x49],             // CR not at the end
        [0x50, 0x7F],                   // DEL
        [0x50, 0xC2, 0x85],             // NEL, a C1 control
        [0x50, 0xFF],                   // never valid in UTF-8
        [0x50, 0xC3],                   // truncated sequence
        [0x50, 0xC0, 0xAF],             // overlong '/'
        [0x50, 0xED, 0xA0, 0x80],       // surrogate
        [0x50, 0xF4, 0x90, 0x80, 0x80], // past U+10FFFF
        [0x50, 0x80],                   // lone continuation
    ] as [[UInt8]])
    func badEncoding(_ line: [UInt8]) {
        let error = refusal(line)
        #expect(error?.key == .badEncoding)
        #expect(error?.code == 500)
    }

    @Test func validMultiByteIsAccepted() {
        // 2, 3 and 4 byte sequences at the edges of their ranges, NBSP (U+00A0) included.
        #expect(refusal("X \u{A0} \u{7FF} \u{800} \u{FFFD} \u{10000} \u{10FFFF}") == nil)
    }

    @Test func encodingIsCheckedBeforeSyntax() {
        #expect(refusal([0x58, 0x20, 0x22, 0x00])?.key == .badEncoding)
    }

    @Test(arguments: [
        #"CASE NOTE C-1 text="open"#,            // unbalanced
        #"CASE NOTE C-1 "open"#,
        #"X a="b\"#,                              // escape at end
        #"X a="b\x""#,                            // bad escape
        #"X a="b\'""#,
        #"X "a"b"#,                               // text after closing quote
        #"X a="b"c"#,
        #"X a"b"#,                                // quote inside a bare value
        "X bad/key=1",                            // key characters
        "X http://x?a=b",                         // prefix is not a key
        "X =v",                                   // empty key
        "X k=",                                   // empty bare value
        #""CASE" SHOW"#,                           // quoted command word
        "a=b",                                    // keyed command word
        #"CASE "SHOW""#,
    ])
    func syntax(_ line: String) {
        let error = refusal(line)
        #expect(error?.key == .syntax, "\(line)")
        #expect(error?.code == 500)
    }

    @Test func groupedVerbWithoutSubcommandIsUnknownCommand() {
        #expect(refusal("CASE")?.key == .unknownCommand)
        #expect(refusal("template  ")?.key == .unknownCommand)
        #expect(refusal("CASE id=C-1")?.key == .unknownCommand)
        #expect(refusal("CASE")?.code == 500)
    }

    @Test func positionalAfterKeyedIsBadArgument() {
        let error = refusal("CASE ADVANCE C-1 reason=x release")
        #expect(error?.key == .badArgument)
        #expect(error?.code == 501)
        #expect(refusal(#"CASE ADVANCE C-1 reason=x "release""#)?.key == .badArgument)
    }

    @Test func duplicateKeysAreBadArgument() {
        #expect(refusal("CASE SET C-1 attr.a=1 attr.a=2 reason=r")?.key == .badArgument)
        #expect(refusal("CASE SET C-1 attr.a=1 attr.A=2 reason=r") == nil)
    }
}
