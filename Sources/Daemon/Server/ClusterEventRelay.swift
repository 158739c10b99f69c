import Logging
import ServiceLifecycle
import Storage

/// Cross-instance WATCH: publishes to this instance's watchers the events
/// other atmpd instances commit to the same PostgreSQL database.
///
/// A `PostgresEventListener` receives the notifications on a thread of its
/// own; this service takes them from there in order and publishes them to the
/// hub. Notifications this instance's own `ClusterEventPublisher` sent (same
/// origin) are skipped: those events were published locally at the commit.
public struct ClusterEventRelay: Service {
    public let listener: PostgresEventListener
    /// This instance's id, the origin its publisher sends.
    public let instance: String
    let service: CommandService
    let logger: Logger

    public init(listener: PostgresEventListener, instance: String, service: CommandService, logger: Logger) {
        self.listener = listener
        self.instance = instance
        self.service = service
        self.logger = logger
    }

    public func run() async throws {
        let (notifications, continuation) = AsyncStream.makeStream(
            of: EventNotification.self, bufferingPolicy: .bufferingOldest(10_000))
        let logger = self.logger
        listener.start(
            deliver: { notification in
                if case .dropped = continuation.yield(notification) {
                    logger.warning("other instances' events arrive faster than they are published; some are dropped")
                }
            },
            finished: { continuation.finish() })
        let listener = self.listener
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                for await notification in notifications where notification.origin != instance {
                    await relay(notification)
                }
            } onGracefulShutdown: {
                listener.stop()
            }
        } onCancel: {
            listener.stop()
        }
    }

    func relay(_ notification: EventNotification) async {
        for item in notification.items {
            if let published = await service.published(for: item) { service.hub.publish(published) }
        }
    }
}
