import ControlProtocol
import SocketTestSupport
import Testing

/// The group-commit settings reach the store of a running daemon, and STATS
/// shows what is in force — `--commit-spin`'s default depends on the
/// processors, so an operator needs to see it.
@Suite("Group-commit settings")
struct CommitSettingsTests {
    @Test func commitLanesAndSpinFromTheCommandLineAreInForce() throws {
        let daemon = try AtmpdProcess.endToEnd(.postgres, extraArguments: ["--commit-lanes", "2", "--commit-spin", "250"])
        defer { daemon.stopBlocking() }
        try daemon.startBlocking()
        let group = try #require(daemon.client().send("STATS").records("group-commit").first)
        #expect(group["lanes"] == "2")
        #expect(group["spin-us"] == "250")
    }

    @Test func commitSpinZeroTurnsItOff() throws {
        let daemon = try AtmpdProcess.endToEnd(.postgres, extraArguments: ["--commit-spin", "0"])
        defer { daemon.stopBlocking() }
        try daemon.startBlocking()
        let group = try #require(daemon.client().send("STATS").records("group-commit").first)
        #expect(group["lanes"] == "1" && group["spin-us"] == "0")
    }
}
