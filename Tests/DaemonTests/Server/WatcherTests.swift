import SocketTestSupport
import Foundation
import Testing
@testable import Daemon

/// Event delivery to watchers, and what happens to one that stops reading.
@Suite("Control server: watchers")
struct WatcherTests {
    @Test func watcherReceivesEventLinesBetweenReplies() async throws {
        let server = try await TestServer.start(prepareSession: { $0.watch = .all })
        let client = try await server.connectGreeted()
        #expect(await eventually { server.hub.subscriberCount == 1 })
        server.hub.publish(event(1))
        #expect(try await client.readLine() == "650 event chain=C-000001 seq=1 action=case.noted actor=alice state=preclinical")
        try await client.send("PING\n")
        #expect(try await client.readLine() == "250 OK pong")
        try await server.stop()
        #expect(server.hub.subscriberCount == 0)
    }

    @Test func slowWatcherIsCutOffWithoutSlowingOthers() async throws {
        // Only connections that start watching are given the scope.
        let server = try await TestServer.start({
            $0.watchBacklog = 50
            $0.watchStallTimeout = .milliseconds(300)
            $0.watchdogInterval = .milliseconds(50)
        }, prepareSession: { $0.watch = $0.id == 1 ? .all : nil })
        let watcher = try server.connect()  // connection 1: never reads while events flow
        watcher.shrinkReceiveBuffer()
        #expect(await eventually { server.hub.subscriberCount == 1 })
        let other = try await server.connectGreeted()

        // Far more than the socket buffers and the backlog can hold.
        for seq in 1...20_000 { server.hub.publish(event(Int64(seq))) }

        for _ in 0..<20 {
            try await other.send("PING\n")
            #expect(try await other.readFinal() == "250 OK pong")
        }
        #expect(await eventually { server.server.connectionCount == 1 }, "the watcher is disconnected")
        #expect(server.hub.subscriberCount == 0)
        // What the watcher got ends with the connection closing, well short of every event.
        let received = try await watcher.readToEnd()
        #expect(received.count < 20_000)
        try await other.send("PING\n")
        #expect(try await other.readFinal() == "250 OK pong")
        try await server.stop()
    }
}
