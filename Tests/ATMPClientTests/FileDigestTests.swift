import ATMPClient
import Foundation
import Testing

@Suite("FileDigest")
struct FileDigestTests {
    func file(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID())").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }

    @Test func knownDigests() throws {
        #expect(try FileDigest.sha256(ofFileAt: file([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try FileDigest.sha256(ofFileAt: file(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // FIPS 180-2's million 'a's.
        #expect(try FileDigest.sha256(ofFileAt: file([UInt8](repeating: 0x61, count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func filesLargerThanOneReadHashWhole() throws {
        let bytes = (0..<(3 * 1024 * 1024 + 17)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(try FileDigest.sha256(ofFileAt: file(bytes)) == FileDigest.sha256(of: bytes))
        #expect(try FileDigest.sha256(ofFileAt: file(Array(bytes.dropLast()))) != FileDigest.sha256(of: bytes))
    }

    @Test func aMissingFileIsAnIOError() {
        #expect(throws: ClientError.self) { try FileDigest.sha256(ofFileAt: "/nonexistent/doc.pdf") }
    }
}
