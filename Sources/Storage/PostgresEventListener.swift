import Foundation
import Logging
import PostgresClient
import Synchronization

/// One dedicated PostgreSQL session that LISTENs on `EventNotification.channel`
/// and hands every notification to a callback — the receiving half of
/// cross-instance WATCH.
///
/// `run` blocks its thread (poll(2) on the libpq socket) until `stop()`; give
/// it a thread of its own (`start`), never an event loop or the Swift
/// concurrency pool. When the connection drops it reconnects with backoff
/// (0.1 s doubling to 5 s). Notifications sent while it was disconnected are
/// lost: PostgreSQL queues them only for sessions listening at commit time.
public final class PostgresEventListener: Sendable {
    let connectionString: String
    let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let connections = Atomic<Int>(0)
    /// How payloads sent by this instance itself begin; those are dropped unread.
    let ownPrefix: String?

    /// `ignoringOrigin`: this instance's id; its own notifications (whose
    /// events it published at the commit) are skipped before being decoded.
    public init(connectionString: String, ignoringOrigin: String? = nil, logger: Logger) {
        self.connectionString = connectionString
        self.ownPrefix = ignoringOrigin.map { EventNotification.payloadPrefix(origin: $0) }
        self.logger = logger
    }

    /// How many times the listening session was (re)established.
    public var connectionCount: Int { connections.load(ordering: .relaxed) }

    /// Runs `run` on a new thread; `finished` is called on it when `run` returns.
    public func start(
        onListening: @escaping @Sendable () -> Void = {},
        deliver: @escaping @Sendable (EventNotification) -> Void,
        finished: @escaping @Sendable () -> Void = {}
    ) {
        let thread = Thread { [self] in
            run(onListening: onListening, deliver: deliver)
            finished()
        }
        thread.name = "atmp-event-listener"
        thread.start()
    }

    /// Makes `run` return within about half a second.
    public func stop() { stopping.store(true, ordering: .releasing) }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Listens until `stop()`. `onListening` is called each time LISTEN is in
    /// place (after every reconnect); `deliver` for every notification that
    /// parses as an `EventNotification`, in the order they arrive.
    public func run(onListening: @Sendable () -> Void = {}, deliver: @Sendable (EventNotification) -> Void) {
        SessionLoop(
            connectionString: connectionString, logger: logger,
            cannotConnect: "cannot LISTEN for other instances' events; retrying",
            lost: "lost the LISTEN connection; reconnecting"
        ).run(
            isStopping: { isStopping }, pause: pause,
            setUp: { connection throws(PostgresError) in try connection.listen(EventNotification.channel) },
            use: { connection throws(PostgresError) in
                connections.add(1, ordering: .relaxed)
                logger.info("listening for other instances' events (LISTEN \(EventNotification.channel))")
                onListening()
                try listen(on: connection, deliver: deliver)
            })
    }

    private func listen(on connection: PostgresConnection, deliver: (EventNotification) -> Void) throws(PostgresError) {
        var quietSince = ContinuousClock.now
        while !isStopping {
            let received = try connection.waitForNotifications(timeout: .milliseconds(500))
            for notification in received where notification.channel == EventNotification.channel {
                if let ownPrefix, notification.payload.hasPrefix(ownPrefix) { continue }
                guard let decoded = EventNotification(payload: notification.payload) else {
                    logger.debug("ignored a foreign notification", metadata: ["payload": "\(notification.payload.prefix(200))"])
                    continue
                }
                deliver(decoded)
            }
            if !received.isEmpty {
                quietSince = .now
            } else if ContinuousClock.now - quietSince > .seconds(30) {
                // A server that vanished without closing the socket shows
                // only when something is sent: ask it something now and then.
                try connection.execute("SELECT 1")
                quietSince = .now
            }
        }
    }

    private func pause(_ duration: Duration) {
        let end = ContinuousClock.now + duration
        while !isStopping && ContinuousClock.now < end {
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}
