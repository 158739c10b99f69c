import AuditLog
import ControlProtocol
import Synchronization

/// Fans new audit events out to the connections that WATCH them.
///
/// Publishing never waits for a watcher: each subscription has a bounded
/// buffer, and a watcher that falls behind by more than it holds is cut off
/// (its stream finishes with `overflowed == true`, and the connection closes
/// it) rather than slowing the server down.
public final class EventHub: Sendable {
    /// One published event: what the `650 event` line shows and what scopes
    /// match on. Built from a committed `AuditEvent` on the instance that
    /// wrote it, or from a notification when another instance did.
    public struct Published: Sendable, Equatable {
        public var chain: String
        public var seq: Int64
        public var action: String
        public var actor: String
        /// The case's template, for `WATCH template=…`; nil for the system chain.
        public var template: String?
        /// The case's state after the event; nil for the system chain.
        public var state: String?

        public init(chain: String, seq: Int64, action: String, actor: String, template: String?, state: String?) {
            self.chain = chain; self.seq = seq; self.action = action; self.actor = actor
            self.template = template; self.state = state
        }

        public init(event: AuditEvent, template: String?, state: String?) {
            self.init(chain: event.chain, seq: event.seq, action: event.action, actor: event.actor,
                      template: template, state: state)
        }

        /// The `650 event …` line for it.
        public var watchEvent: WatchEvent {
            WatchEvent(chain: chain, seq: Int(seq), action: action, actor: actor, state: state ?? "")
        }
    }

    public final class Subscription: Sendable {
        public let scope: WatchScope
        public let events: AsyncStream<Published>
        let continuation: AsyncStream<Published>.Continuation
        let hub: EventHub
        let id: Int
        private let overflow = Atomic<Bool>(false)

        /// True when the stream ended because the watcher fell behind.
        public var overflowed: Bool { overflow.load(ordering: .acquiring) }

        init(scope: WatchScope, capacity: Int, hub: EventHub, id: Int) {
            self.scope = scope
            self.hub = hub
            self.id = id
            (events, continuation) = AsyncStream.makeStream(of: Published.self, bufferingPolicy: .bufferingOldest(capacity))
        }

        func deliver(_ published: Published) {
            if case .dropped = continuation.yield(published) {
                overflow.store(true, ordering: .releasing)
                continuation.finish()
                hub.remove(id)
            }
        }

        /// Stops watching.
        public func cancel() {
            continuation.finish()
            hub.remove(id)
        }
    }

    private struct State {
        var nextID = 0
        var subscriptions: [Int: Subscription] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    public func subscribe(_ scope: WatchScope, capacity: Int = 1_000) -> Subscription {
        state.withLock { state in
            let subscription = Subscription(scope: scope, capacity: capacity, hub: self, id: state.nextID)
            state.subscriptions[state.nextID] = subscription
            state.nextID += 1
            return subscription
        }
    }

    public func publish(_ published: Published) {
        let targets = state.withLock { Array($0.subscriptions.values) }
        for subscription in targets where Self.matches(subscription.scope, published) {
            subscription.deliver(published)
        }
    }

    public var subscriberCount: Int { state.withLock { $0.subscriptions.count } }

    fileprivate func remove(_ id: Int) {
        _ = state.withLock { $0.subscriptions.removeValue(forKey: id) }
    }

    static func matches(_ scope: WatchScope, _ published: Published) -> Bool {
        switch scope {
        case .all: return true
        case .caseID(let id): return published.chain == id
        case .template(let name): return published.template == name
        }
    }
}
