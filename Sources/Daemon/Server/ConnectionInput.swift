import ControlProtocol
import NIOCore
import Storage

/// Where a connection's bytes come from: NIO's async channel, or — while a
/// commit lane spins and the connection allows it — the lane (`DirectInput`).
///
/// Switching is done on the event loop, in order: the gate is shut only when
/// the request loop has taken all NIO read (`InputGate.shut(consumed:)`), and
/// opened again before the loop reads from NIO, so bytes come in the order
/// the client sent them.
struct ConnectionInput {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let direct: DirectInput?
    private let gate: NIOLoopBound<InputGate>?
    /// The gate's `sawInputWhileShut`, read off the loop.
    private let raced: InputFlag?
    private let channel: any Channel
    /// Bytes taken from NIO so far.
    private var consumed = 0
    /// NIO does not read; the lane does.
    private var gateShut = false
    /// The bytes returned last were read by the lane (and the request loop
    /// runs on it now).
    private(set) var lastFromLane = false

    /// On the event loop.
    init(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, direct: DirectInput?, gate: NIOLoopBound<InputGate>?,
         channel: any Channel)
    {
        self.inbound = inbound.makeAsyncIterator()
        self.direct = direct
        self.gate = gate
        raced = gate?.value.sawInputWhileShut
        self.channel = channel
    }

    /// The next bytes from the client; nil at the end of its input.
    /// `laneMayRead`: the connection may be read by a lane now (nothing else
    /// writes to it: no watcher).
    mutating func next(laneMayRead: Bool) async throws -> [UInt8]? {
        if let direct, let gate, gateShut {
            while laneMayRead, case .bytes(let bytes, let endFollows) = await direct.next() {
                if endFollows {
                    // NIO reads up to the end now, gate or not, and closes
                    // the channel. If it read anything, which came first
                    // cannot be told.
                    try? await channel.closeFuture.get()
                    if raced?.isSet == true { throw InputRaced() }
                }
                lastFromLane = true
                return bytes
            }
            await channel.eventLoop.comeBack()
            gate.value.open()
            gateShut = false
        }
        lastFromLane = false
        guard let buffer = try await inbound.next() else { return nil }
        consumed += buffer.readableBytes
        if laneMayRead, let direct, let gate, direct.laneSpins, channel.eventLoop.inEventLoop {
            // The next request is for the lane to read, if NIO holds nothing
            // more: the client most likely waits for this one's reply.
            // (Shut now, on the loop; later it would cost a trip to the loop,
            // which the client's next request tends to beat.)
            gateShut = gate.value.shut(consumed: consumed)
        }
        return Array(buffer.readableBytesView)
    }
}

extension EventLoop {
    /// Back to this event loop, if a commit lane ran the task last
    /// (`JobAdoption`). A re-enqueue of the task on its executor, from a
    /// thread that adopts nothing now, lands on the loop.
    func comeBack() async {
        while !inEventLoop { await Task.yield() }
    }
}

/// NIO read bytes while the lane was reading: the peer sent more and shut
/// down its writing at once, and NIO reads up to the end then whatever the
/// gate says. Which came first cannot be told, so neither is served (the
/// channel is closed by then: nobody can be answered).
struct InputRaced: Error {}
