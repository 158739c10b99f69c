import NIOCore
import Synchronization

/// Stops NIO reading a connection's socket while a commit lane reads it
/// (`DirectInput`), and counts what NIO passed on, so the request loop can
/// tell when nothing read by NIO is still waiting for it.
///
/// Sits in a Unix-socket channel's pipeline before the async channel's
/// handler. All but `sawInputWhileShut` is touched on the event loop only.
final class InputGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Bytes passed on towards the request loop since the channel opened.
    private(set) var passedOn = 0
    private(set) var isShut = false
    /// A read asked for while shut, made when the gate opens.
    private var readWanted = false
    private var context: ChannelHandlerContext?
    /// NIO read bytes while the gate was shut: it does so, whatever the gate
    /// says, once the peer has shut down its writing. See `DirectInput`.
    let sawInputWhileShut = InputFlag()

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = unwrapInboundIn(data).readableBytes
        passedOn += count
        if isShut && count > 0 { sawInputWhileShut.set() }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        if isShut {
            readWanted = true
        } else {
            context.read()
        }
    }

    /// Shuts the gate if the request loop has taken all NIO passed on
    /// (`consumed` bytes); true if shut. Off goes the channel's read interest.
    func shut(consumed: Int) -> Bool {
        guard !isShut, consumed == passedOn, let context, context.channel.isActive else { return false }
        isShut = true
        sawInputWhileShut.clear()
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        return true
    }

    /// NIO reads the socket again.
    func open() {
        guard isShut else { return }
        isShut = false
        guard let context else { return }
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        if readWanted {
            readWanted = false
            context.read()
        }
    }
}

/// A flag set on the event loop and read by whichever thread runs the request loop.
final class InputFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    func clear() { value.store(false, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
