import Foundation
import PostgresClient
import PostgresTestSupport
import Testing

/// The pieces a LISTEN session needs: waiting in poll(2), quoted channel
/// names, commit-time delivery, and noticing that the server ended the session.
@Suite struct ListenNotifyTests {
    private func pair() throws -> (listener: PostgresConnection, sender: PostgresConnection) {
        let url = try PostgresTestCluster.shared.createDatabase(prefix: "listen")
        return (try PostgresConnection(url), try PostgresConnection(url))
    }

    /// Waits up to about 5 s for `count` notifications.
    private func receive(_ count: Int, on connection: PostgresConnection) throws -> [PostgresNotification] {
        var received: [PostgresNotification] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while received.count < count && ContinuousClock.now < deadline {
            received += try connection.waitForNotifications(timeout: .milliseconds(200))
        }
        return received
    }

    @Test func waitingWakesOnANotificationAndTimesOutWithoutOne() throws {
        let (listener, sender) = try pair()
        try listener.listen("atmp_events")
        let start = ContinuousClock.now
        #expect(try listener.waitForNotifications(timeout: .milliseconds(150)).isEmpty)
        #expect(ContinuousClock.now - start >= .milliseconds(100))  // it did wait
        try sender.notify("atmp_events", payload: "{\"o\":\"a\"}")
        let received = try receive(1, on: listener)
        #expect(received.map(\.payload) == ["{\"o\":\"a\"}"])
        #expect(received.first?.processID == sender.backendProcessID)
        #expect(received.first?.processID != listener.backendProcessID)
    }

    @Test func channelNamesAreQuotedNotSpliced() throws {
        let (listener, sender) = try pair()
        let awkward = "odd \"name\"; DROP TABLE x"
        try listener.listen(awkward)
        try sender.notify(awkward, payload: "ok")
        try sender.notify("odd", payload: "other channel")
        #expect(try receive(1, on: listener).map(\.channel) == [awkward])
        try listener.unlisten(awkward)
        try sender.notify(awkward, payload: "after unlisten")
        #expect(try listener.waitForNotifications(timeout: .milliseconds(200)).isEmpty)
    }

    @Test func notificationsGoOutOnlyOnCommitAndInOrder() throws {
        let (listener, sender) = try pair()
        try listener.listen("atmp_events")
        try sender.transaction { tx in
            try tx.notify("atmp_events", payload: "1")
            try tx.notify("atmp_events", payload: "2")
            #expect(try listener.waitForNotifications(timeout: .milliseconds(200)).isEmpty)
        }
        #expect(throws: (any Error).self) {
            try sender.transaction { tx in
                try tx.notify("atmp_events", payload: "rolled back")
                throw PostgresError(category: .other, message: "abort")
            }
        }
        try sender.notify("atmp_events", payload: "3")
        #expect(try receive(3, on: listener).map(\.payload) == ["1", "2", "3"])
    }

    @Test func aTerminatedSessionThrowsUnavailable() throws {
        let (listener, sender) = try pair()
        try listener.listen("atmp_events")
        try sender.execute("SELECT pg_terminate_backend($1)", [.int(Int64(listener.backendProcessID))])
        var thrown: PostgresError?
        let deadline = ContinuousClock.now + .seconds(5)
        while thrown == nil && ContinuousClock.now < deadline {
            do { _ = try listener.waitForNotifications(timeout: .milliseconds(200)) } catch { thrown = error }
        }
        #expect(thrown?.category == .unavailable)
    }
}
