import ControlProtocol
import NIOCore
import Synchronization

/// Writes whole replies to a connection: each reply is one write, so lines of
/// another writer (a watcher's `650` events) can fall between replies but never inside one.
///
/// Writes go to the channel itself and are counted until NIO has written them
/// to the socket: when `idle`, nothing of this connection waits in NIO, which
/// `ReplyShortcut` relies on to write the next reply itself without passing
/// anything. A `send` waits only while the channel is not writable (the peer
/// reads slowly), as the async channel's writer did.
struct ReplyWriter: Sendable {
    let channel: any Channel
    private let outstanding = Outstanding()

    init(channel: any Channel) { self.channel = channel }

    /// No write of this connection is still waiting in NIO.
    var idle: Bool { outstanding.count == 0 }

    func send(_ reply: Reply) async throws {
        try await send(Self.buffer(reply, allocator: channel.allocator))
    }

    /// The part of `bytes` from `offset` on (what an early reply left unsent).
    func send(_ bytes: [UInt8], from offset: Int) async throws {
        guard offset < bytes.count else { return }
        var buffer = channel.allocator.buffer(capacity: bytes.count - offset)
        buffer.writeBytes(bytes[offset...])
        try await send(buffer)
    }

    private func send(_ buffer: ByteBuffer) async throws {
        guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
        outstanding.add(1)
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(buffer, promise: promise)
        let written = promise.futureResult
        written.whenComplete { [outstanding] _ in outstanding.add(-1) }
        if !channel.isWritable { try await written.get() }
    }

    static func buffer(_ reply: Reply, allocator: ByteBufferAllocator) -> ByteBuffer {
        let bytes = encoded(reply)
        var buffer = allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return buffer
    }

    static func encoded(_ reply: Reply) -> [UInt8] {
        var bytes: [UInt8] = []
        ReplyEncoder.append(reply, to: &bytes)
        return bytes
    }

    /// Writes handed to NIO and not yet written out.
    private final class Outstanding: Sendable {
        private let value = Atomic<Int>(0)
        func add(_ delta: Int) { value.add(delta, ordering: .acquiringAndReleasing) }
        var count: Int { value.load(ordering: .acquiring) }
    }
}
