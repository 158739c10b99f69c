import AuditLog
import CaseEngine
import PropertyBased
import Testing
import Workflow
@testable import Storage

/// The case cache's byte packing: exact round trips, whatever the bytes, and the size it saves.
@Suite struct CasePackingTests {
    static let hash = String(repeating: "0123456789abcdef", count: 4)

    /// Pieces that exercise every rule and its edges: hashes (and near misses),
    /// digit runs around the 13–17 bounds, 2^56, leading zeros, every token,
    /// quotes, backslashes, multi-byte UTF-8.
    static let pieces: [String] = [
        "\"\(hash)\"", "\"\(hash.dropLast())\"", "\"\(hash)a\"", "\"\(hash.uppercased())\"", "\(hash)",
        "1900000000123456", "123456789012", "1234567890123", "12345678901234567", "123456789012345678",
        "72057594037927935", "72057594037927936", "0900000000123456", "0", "-1900000000123456",
        "\"", "\\", "\\\"", ":", ",", "{", "}", "[", "]", "a", "Z", " ", "é", "日本", "👩‍🔬", "n", "nul",
    ] + CasePacking.tokens.map { String(decoding: $0, as: UTF8.self) }
      + CasePacking.tokens.map { String(decoding: $0.dropLast(), as: UTF8.self) }

    static let text = Gen<String?>.element(of: pieces).map { $0! }.array(of: 0...40).map { $0.joined() }

    @Test func anyTextWithoutControlBytesRoundTrips() async {
        await propertyCheck(count: 2_000, input: Self.text) { text in
            let bytes = Array(text.utf8)
            let packed = try #require(CasePacking.pack(bytes))
            #expect(CasePacking.unpack(packed) == bytes)
            #expect(packed.count <= bytes.count)
        }
    }

    @Test(arguments: CasePackingTests.pieces)
    func eachPieceRoundTripsAloneAndBetweenDigits(_ piece: String) throws {
        for text in [piece, "1\(piece)2", "\"\(piece)\"", piece + piece] {
            let bytes = Array(text.utf8)
            #expect(CasePacking.unpack(try #require(CasePacking.pack(bytes))) == bytes, "\(text)")
        }
    }

    @Test func controlBytesAreRefused() {
        #expect(CasePacking.pack(Array("a\u{01}b".utf8)) == nil)
        #expect(CasePacking.pack([0x00]) == nil)
        #expect(CasePacking.pack(Array("tab\there".utf8)) == nil)
    }

    @Test func damagedBytesDoNotUnpack() throws {
        let packed = try #require(CasePacking.pack(Array("{\"head\":\"\(Self.hash)\",\"at\":1900000000123456}".utf8)))
        #expect(packed.contains(0x00) && packed.contains(0x01))
        let hashAt = try #require(packed.firstIndex(of: 0x01))
        #expect(CasePacking.unpack(Array(packed[...(hashAt + 5)])) == nil)
        let numberAt = try #require(packed.lastIndex(of: 0x00))
        #expect(CasePacking.unpack(Array(packed[...(numberAt + 3)])) == nil)
    }

    /// A case well into its pathway: documents, signatures, clocks, a hold.
    static func busyCase() -> Case {
        let t = { (n: Int64) in Timestamp(microseconds: 1_900_000_000_000_000 + n * 86_400_000_123) }
        var documents: [String: AttachedDocument] = [:]
        for (n, kind) in ["protocol", "ib", "impd", "gmp-certificate", "batch-record", "qp-release", "ethics-opinion", "risk-plan"].enumerated() {
            documents[kind] = AttachedDocument(kind: kind, sha256: String(repeating: String(n, radix: 16), count: 64),
                                               uri: "https://dms.example.org/docs/\(kind)/v3.pdf", title: "The \(kind) document",
                                               at: t(Int64(n)), seq: Int64(3 + n), by: "lead")
        }
        let signatures = (0..<6).map { n in
            AppliedSignature(transition: "submit-cta", role: "qp", meaning: .approved, signer: "qp\(n)", at: t(Int64(10 + n)),
                             seq: Int64(12 + n), record: Self.hash, reason: n.isMultiple(of: 2) ? "batch \(n) certified" : nil)
        }
        return Case(
            id: "C-004711", template: "gene-therapy", templateVersion: 3, title: "AAV9 \"gene\" therapy for SMA — phase I/II",
            state: "clinical-trial-application", stage: "clinical", attributes: ["sponsor": "Acme AB", "indication": "SMA type 1"],
            version: 42, head: String(Self.hash.reversed()), opened: t(0), entered: t(20), enteredSeq: 40, updated: t(21),
            hold: Hold(reason: "deviation DV-12", since: t(21), by: "lead"), documents: documents, signatures: signatures,
            clocks: ["cta-assessment": ClockState(name: "cta-assessment", status: .running, accumulated: 864_000_000_000,
                                                  runningSince: t(19))],
            overdueRaised: [.clock("cta-assessment"), .deadline(state: "classification", enteredSeq: 4)])
    }

    @Test func aBusyCaseComesBackEqualAndTakesUnderTwoThirds() throws {
        let stored = StoredCase(case: Self.busyCase(), overdueAt: Timestamp(microseconds: 1_950_000_000_000_000), alarmAt: nil)
        let packed = PackedCase(stored)
        #expect(packed.isPacked)
        #expect(try packed.unpacked() == stored)
        let json = CaseCodec.encode(stored.case).canonicalJSON()
        #expect(packed.body.count * 3 < json.count * 2, "\(packed.body.count) of \(json.count) bytes")
    }
}
