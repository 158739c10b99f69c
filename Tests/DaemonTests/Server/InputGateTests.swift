import NIOCore
import NIOEmbedded
import Testing
@testable import Daemon

/// `InputGate` in a pipeline of its own: it must not shut while NIO holds
/// bytes the request loop has not taken (the lane's would overtake them),
/// and while shut it keeps NIO from reading — but says so when NIO read all
/// the same (at the end of input).
@Suite("Input gate")
struct InputGateTests {
    /// Counts the reads that get past the gate towards the socket.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    func activeChannel() throws -> (EmbeddedChannel, InputGate, ReadCounter) {
        let channel = EmbeddedChannel()
        let counter = ReadCounter()
        let gate = InputGate()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(gate)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, gate, counter)
    }

    @Test func itShutsOnlyWhenTheLoopHasTakenAllNIOPassedOn() throws {
        let (channel, gate, _) = try activeChannel()
        try channel.writeInbound(ByteBuffer(string: "PING\n"))
        try channel.writeInbound(ByteBuffer(string: "PI"))
        #expect(gate.passedOn == 7)
        #expect(!gate.shut(consumed: 5))  // "PI" still waits for the loop
        #expect(!gate.isShut)
        #expect(gate.shut(consumed: 7))
        #expect(gate.isShut)
        #expect(!gate.shut(consumed: 7))  // once
        _ = try channel.finish()
    }

    @Test func whileShutNoReadReachesTheSocketAndOpeningMakesTheOneAskedFor() throws {
        let (channel, gate, counter) = try activeChannel()
        channel.read()
        #expect(counter.reads == 1)
        #expect(gate.shut(consumed: 0))
        channel.read()
        channel.read()
        #expect(counter.reads == 1)
        gate.open()
        #expect(counter.reads == 2)  // the reads asked for meanwhile, as one
        gate.open()
        #expect(counter.reads == 2)
        channel.read()
        #expect(counter.reads == 3)
        _ = try channel.finish()
    }

    @Test func bytesNIOReadWhileShutAreFlaggedUntilTheNextShut() throws {
        let (channel, gate, _) = try activeChannel()
        #expect(gate.shut(consumed: 0))
        #expect(!gate.sawInputWhileShut.isSet)
        try channel.writeInbound(ByteBuffer())  // an empty read is nothing
        #expect(!gate.sawInputWhileShut.isSet)
        try channel.writeInbound(ByteBuffer(string: "PING\n"))  // NIO at the end of input reads regardless
        #expect(gate.sawInputWhileShut.isSet)
        gate.open()
        #expect(gate.sawInputWhileShut.isSet)
        #expect(gate.shut(consumed: 5))
        #expect(!gate.sawInputWhileShut.isSet)
        _ = try channel.finish()
    }

    @Test func aClosedChannelIsNotShut() throws {
        let (channel, gate, _) = try activeChannel()
        _ = try channel.finish()
        #expect(!gate.shut(consumed: 0))
    }
}
