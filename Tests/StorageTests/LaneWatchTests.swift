import Foundation
import Synchronization
import Testing
@testable import Storage

/// `LaneWatch` without a database or a lane: a socket pair stands for a
/// client's connection, and the test plays the spinning lane
/// (`startAccepting`, `serve`, `handBackAll`).
@Suite("Lane watch")
struct LaneWatchTests {
    /// A connected pair of Unix stream sockets: `client` writes, `server` is watched.
    final class SocketPair: Sendable {
        let client: Int32
        let server: Int32

        init() throws {
            var ends: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0 else {
                throw StoreError(.failure, "socketpair failed: errno \(errno)")
            }
            client = ends[0]
            server = ends[1]
        }

        deinit {
            close(client)
            close(server)
        }

        func write(_ text: String) {
            let bytes = Array(text.utf8)
            #expect(Glibc.write(client, bytes, bytes.count) == bytes.count)
        }
    }

    /// What handlers were called with, in order.
    final class Wakes: Sendable {
        private let wakes = Mutex<[LaneWatch.Wake]>([])
        var handler: LaneWatch.Handler { { wake in self.wakes.withLock { $0.append(wake) } } }
        var all: [LaneWatch.Wake] { wakes.withLock { $0 } }
    }

    /// A spinning lane's watch with one socket of a new pair watched as `id`.
    func watching(id: UInt64 = 1) throws -> (LaneWatch, SocketPair, Wakes) {
        let watch = LaneWatch()
        watch.startAccepting()
        let pair = try SocketPair()
        let wakes = Wakes()
        #expect(watch.watch(pair.server, id: id, handler: wakes.handler))
        return (watch, pair, wakes)
    }

    /// Polls like the lane does: the watched sockets that are ready now.
    func ready(_ watch: LaneWatch) -> [(id: UInt64, revents: Int16)] {
        let watched = watch.watched()
        var descriptors = watched.map { pollfd(fd: $0.socket, events: Int16(POLLIN | pollReadHangUp), revents: 0) }
        _ = poll(&descriptors, nfds_t(descriptors.count), 0)
        return zip(watched, descriptors).compactMap { $1.revents != 0 ? ($0.id, $1.revents) : nil }
    }

    @Test func nothingIsWatchedWhileNoLaneSpins() throws {
        let watch = LaneWatch()
        let pair = try SocketPair()
        let wakes = Wakes()
        #expect(!watch.isAccepting)
        #expect(!watch.watch(pair.server, id: 1, handler: wakes.handler))
        watch.startAccepting()
        #expect(!watch.readsClients)  // accepting, but nobody gave it a client yet
        #expect(watch.watch(pair.server, id: 1, handler: wakes.handler))
        #expect(watch.readsClients)
        watch.handBackAll()
        #expect(wakes.all == [.handBack])
        // Stopped spinning: refused again.
        #expect(!watch.watch(pair.server, id: 1, handler: wakes.handler))
    }

    /// A socket watched while the lane sleeps over the watched ones wakes
    /// it, once; watched while it is awake (or after the wake), nothing.
    @Test func aSocketWatchedWhileTheLaneSleepsWakesItOnce() throws {
        let (watch, _, _) = try watching(id: 1)
        let woken = Mutex(0)
        let asleep = watch.watchedWhileAsleep(wake: { woken.withLock { $0 += 1 } })
        #expect(asleep.map(\.id) == [1])
        let other = try SocketPair(), third = try SocketPair()
        let wakes = Wakes()
        #expect(watch.watch(other.server, id: 2, handler: wakes.handler))
        #expect(woken.withLock { $0 } == 1)
        #expect(watch.watch(third.server, id: 3, handler: wakes.handler))
        #expect(woken.withLock { $0 } == 1)  // once: the lane polls anew
        _ = watch.watchedWhileAsleep(wake: { woken.withLock { $0 += 1 } })
        watch.awake()
        #expect(watch.withdraw(id: 3))
        #expect(watch.watch(third.server, id: 3, handler: wakes.handler))
        #expect(woken.withLock { $0 } == 1)  // awake: no wake-up needed
        watch.handBackAll()
        #expect(wakes.all == [.handBack, .handBack])
    }

    /// Beyond `maxWatched` sockets a watch is refused (NIO reads it); a
    /// socket watched again in its own place is not counted twice.
    @Test func atMostMaxWatchedSocketsAreWatched() throws {
        let watch = LaneWatch(maxWatched: 2)
        watch.startAccepting()
        let pairs = try (0..<3).map { _ in try SocketPair() }
        let wakes = Wakes()
        #expect(watch.watch(pairs[0].server, id: 1, handler: wakes.handler))
        #expect(watch.watch(pairs[1].server, id: 2, handler: wakes.handler))
        #expect(!watch.watch(pairs[2].server, id: 3, handler: wakes.handler))
        #expect(watch.watch(pairs[1].server, id: 2, handler: wakes.handler))
        #expect(watch.withdraw(id: 1))
        #expect(watch.watch(pairs[2].server, id: 3, handler: wakes.handler))
        #expect(Set(watch.watched().map(\.id)) == [2, 3])
    }

    @Test func whatArrivesIsReadOnceAndInOrder() throws {
        let (watch, pair, wakes) = try watching(id: 7)
        #expect(ready(watch).isEmpty)  // nothing sent yet
        let before = watch.currentVersion
        pair.write("CASE ADVANCE a forth\n")
        pair.write("PING\n")
        watch.serve(ready(watch))
        #expect(wakes.all == [.bytes(Array("CASE ADVANCE a forth\nPING\n".utf8), endFollows: false)])
        #expect(watch.currentVersion != before)  // the lane rebuilds its poll set
        // One watch, one answer: more bytes wait for the next watch.
        pair.write("PING\n")
        #expect(watch.watched().isEmpty)
        watch.serve([(7, Int16(POLLIN))])
        #expect(wakes.all.count == 1)
        #expect(watch.watch(pair.server, id: 7, handler: wakes.handler))
        watch.serve(ready(watch))
        #expect(wakes.all.last == .bytes(Array("PING\n".utf8), endFollows: false))
        #expect(watch.counts.reads == 2)
    }

    /// After the peer shuts down its writing, NIO reads the end (and
    /// whatever is left) itself: the lane reads nothing then.
    @Test func aSocketAtItsEndIsHandedBackUnread() throws {
        let (watch, pair, wakes) = try watching(id: 1)
        pair.write("PING\n")
        shutdown(pair.client, Int32(SHUT_WR))
        watch.serve(ready(watch))
        #expect(wakes.all == [.handBack])
        var bytes = [UInt8](repeating: 0, count: 16)
        #expect(read(pair.server, &bytes, bytes.count) == 5)  // still there for NIO
        #expect(watch.counts.handBacks == 1)
    }

    /// Bytes read just before the end came are marked so: NIO may read
    /// around them.
    @Test func bytesReadBeforeTheEndAreMarked() throws {
        let (watch, pair, wakes) = try watching(id: 1)
        pair.write("PING\n")
        let found = ready(watch)  // polled before the end came
        shutdown(pair.client, Int32(SHUT_WR))
        watch.serve(found)
        #expect(wakes.all == [.bytes(Array("PING\n".utf8), endFollows: true)])
    }

    @Test func aWithdrawnSocketIsNotReadNorAnswered() throws {
        let (watch, pair, wakes) = try watching(id: 3)
        pair.write("PING\n")
        let found = ready(watch)
        #expect(found.count == 1)
        #expect(watch.withdraw(id: 3))
        #expect(!watch.withdraw(id: 3))
        watch.serve(found)  // polled before the withdrawal: not read now
        watch.handBackAll()
        #expect(wakes.all.isEmpty)
        var bytes = [UInt8](repeating: 0, count: 16)
        #expect(read(pair.server, &bytes, bytes.count) == 5)
    }

    /// A socket that polled ready but has nothing to read stays watched.
    @Test func aSpuriousWakeUpKeepsTheWatch() throws {
        let (watch, pair, wakes) = try watching(id: 1)
        withExtendedLifetime(pair) { watch.serve([(1, Int16(POLLIN))]) }  // nothing was sent
        #expect(wakes.all.isEmpty)
        #expect(watch.watched().map(\.id) == [1])
    }
}
