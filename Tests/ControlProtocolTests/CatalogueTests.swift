import Testing
@testable import ControlProtocol

@Suite struct CatalogueTests {
    @Test func codesAndKeysOfTheContract() {
        let expected: [(ErrorKey, Int, String)] = [
            (.versionConflict, 450, "version-conflict"), (.storageUnavailable, 451, "storage-unavailable"),
            (.tooBusy, 452, "too-busy"), (.syntax, 500, "syntax"), (.unknownCommand, 500, "unknown-command"),
            (.lineTooLong, 500, "line-too-long"), (.badEncoding, 500, "bad-encoding"),
            (.badArgument, 501, "bad-argument"), (.badSequence, 503, "bad-sequence"),
            (.authRequired, 530, "auth-required"), (.authFailed, 535, "auth-failed"),
            (.notFound, 550, "not-found"), (.forbidden, 551, "forbidden"), (.notAllowedNow, 552, "not-allowed-now"),
            (.requirementsUnmet, 553, "requirements-unmet"), (.invalidTemplate, 554, "invalid-template"),
            (.idempotencyMismatch, 555, "idempotency-mismatch"), (.auditBroken, 557, "audit-broken"),
        ]
        for (key, code, word) in expected {
            #expect(key.code.rawValue == code)
            #expect(key.rawValue == word)
            #expect(ErrorKey.all.contains(key))
        }
        #expect(ReplyCode.ok.rawValue == 250 && ReplyCode.greeting.rawValue == 220 && ReplyCode.event.rawValue == 650)
        #expect(Set(ErrorKey.all.map(\.rawValue)).count == ErrorKey.all.count, "keys are unique")
        #expect(Set(ReplyCode.all).count == ReplyCode.all.count)
    }

    @Test func lookupByWordNeedsTheCode() {
        #expect(ErrorKey.named("syntax", code: 500) == .syntax)
        #expect(ErrorKey.named("syntax", code: 501) != .syntax)
    }

    @Test func codeClasses() {
        #expect(ReplyCode.notFound.isError && ReplyCode.closing.isError)
        #expect(!ReplyCode.ok.isError && !ReplyCode.event.isError && !ReplyCode.greeting.isError)
        #expect(ReplyCode.event.isAsynchronous && !ReplyCode.ok.isAsynchronous)
    }

    @Test func errorDescription() {
        #expect(ProtocolError.badArgument("limit over 1000").description == "501 bad-argument limit over 1000")
    }
}
