import SocketTestSupport
import Foundation
import Testing
@testable import Daemon

#if canImport(Glibc)
import Glibc
#endif

/// The server's side of the protocol over a real Unix socket: framing,
/// encoding, order, data blocks and limits.
@Suite("Control server: requests")
struct ControlServerTests {
    @Test func greetsWithVersionAndProtocol() async throws {
        let server = try await TestServer.start()
        let client = try server.connect()
        #expect(try await client.readLine() == "220 atmpd version=0.1.0 protocol=1")
        try await server.stop()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let server = try await TestServer.start()
        let client = try await server.connectGreeted()
        // PING and unknown commands alternate, so a reordered reply would show.
        let requests = (0..<100).map { $0.isMultiple(of: 2) ? "PING" : "NOPE\($0)" }
        try await client.send(requests.map { $0 + "\r\n" }.joined())
        for (index, request) in requests.enumerated() {
            let final = try await client.readFinal()
            if request == "PING" {
                #expect(final == "250 OK pong", "reply \(index)")
            } else {
                #expect(final.hasPrefix("500 unknown-command") && final.hasSuffix(" \(request)"), "reply \(index): \(final)")
            }
        }
        try await server.stop()
    }

    @Test func overlongLineIsRefusedAndClosesTheConnection() async throws {
        let server = try await TestServer.start { $0.maxLineBytes = 64 }
        let client = try await server.connectGreeted()
        try await client.send("PING " + String(repeating: "x", count: 100) + "\nPING\n")
        let lines = try await client.readToEnd()
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("500 line-too-long ") == true)
        try await server.stop()
    }

    @Test func lineAtTheLimitIsAccepted() async throws {
        let server = try await TestServer.start { $0.maxLineBytes = 64 }
        let client = try await server.connectGreeted()
        let line = "NOPE " + String(repeating: "x", count: 59)  // exactly 64 bytes
        try await client.send(line + "\r\n")
        #expect(try await client.readFinal().hasPrefix("500 unknown-command"))
        try await server.stop()
    }

    @Test func badEncodingIsRefusedAndTheConnectionStaysUsable() async throws {
        let server = try await TestServer.start()
        let client = try await server.connectGreeted()
        try await client.send([0x50, 0x49, 0xFF, 0x0A])  // "PI", invalid UTF-8
        #expect(try await client.readFinal().hasPrefix("500 bad-encoding "))
        try await client.send([0x50, 0x00, 0x0A])  // NUL
        #expect(try await client.readFinal().hasPrefix("500 bad-encoding "))
        try await client.send("PING\n")
        #expect(try await client.readFinal() == "250 OK pong")
        try await server.stop()
    }

    @Test func unbalancedQuoteIsASyntaxError() async throws {
        let server = try await TestServer.start()
        let client = try await server.connectGreeted()
        try await client.send("CASE NOTE C-000001 text=\"never closed\nPING\n")
        #expect(try await client.readFinal().hasPrefix("500 syntax "))
        #expect(try await client.readFinal() == "250 OK pong")
        try await server.stop()
    }

    @Test func blankLinesAreIgnored() async throws {
        let server = try await TestServer.start()
        let client = try await server.connectGreeted()
        try await client.send("\n\r\n   \n\t\nPING\nQUIT\n")
        // Exactly two replies, then the close: no reply for any blank line.
        #expect(try await client.readToEnd() == ["250 OK pong", "250 OK bye"])
        try await server.stop()
    }

    @Test func dataBlockIsReadBeforeTheNextRequest() async throws {
        let server = try await TestServer.start()
        let client = try await server.connectGreeted()
        // The block's lines look like requests; they must not be taken for them.
        try await client.send("+TEMPLATE CHECK\nPING\n..PING\nQUIT\n.\nPING\n")
        // Not signed in, so TEMPLATE CHECK is refused; what matters is one reply for the whole block.
        #expect(try await client.readFinal().hasPrefix("530 auth-required"))
        #expect(try await client.readFinal() == "250 OK pong")
        try await server.stop()
    }

    @Test func oversizedDataBlockIsConsumedAndRefused() async throws {
        let server = try await TestServer.start { $0.maxDataBytes = 100 }
        let client = try await server.connectGreeted()
        let block = (0..<20).map { "line \($0) of a block that is too big" }.joined(separator: "\n")
        try await client.send("+TEMPLATE PUT\n\(block)\n.\nPING\n")
        #expect(try await client.readFinal() == "501 bad-argument data block over 100 bytes")
        #expect(try await client.readFinal() == "250 OK pong")
        try await server.stop()
    }

    @Test func refusedPlusLineStillHasItsBlockDiscarded() async throws {
        let server = try await TestServer.start()
        let client = try await server.connectGreeted()
        try await client.send("+TEMPLATE PUT \"open\nQUIT\n.\nPING\n")
        #expect(try await client.readFinal().hasPrefix("500 syntax "))
        #expect(try await client.readFinal() == "250 OK pong")
        try await server.stop()
    }

    @Test func quitClosesAfterItsReply() async throws {
        let server = try await TestServer.start()
        let client = try await server.connectGreeted()
        try await client.send("QUIT\nPING\n")
        #expect(try await client.readToEnd() == ["250 OK bye"])
        try await server.stop()
    }
}
