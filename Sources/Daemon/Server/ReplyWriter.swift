import ControlProtocol
import NIOCore

/// Writes whole replies to a connection: each reply is one write, so lines of
/// another writer (a watcher's `650` events) can fall between replies but never inside one.
struct ReplyWriter: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let allocator: ByteBufferAllocator

    func send(_ reply: Reply) async throws {
        try await outbound.write(Self.buffer(reply, allocator: allocator))
    }

    static func buffer(_ reply: Reply, allocator: ByteBufferAllocator) -> ByteBuffer {
        var bytes: [UInt8] = []
        ReplyEncoder.append(reply, to: &bytes)
        var buffer = allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return buffer
    }
}
