import Storage
import Synchronization

/// A small in-process cache of users, so that re-checking the user on every
/// command (disabled? roles changed?) does not cost a database round trip
/// each time. USER commands of this process invalidate their entry at once;
/// the short TTL makes changes made through other `atmpd` instances show
/// within `ttl`.
final class UserDirectory: Sendable {
    private struct Entry {
        var user: StoredUser?
        var fetched: ContinuousClock.Instant
    }
    private let entries = Mutex<[String: Entry]>([:])
    private let ttl: Duration
    private let store: any Store

    init(store: any Store, ttl: Duration) {
        self.store = store
        self.ttl = ttl
    }

    /// The user, from the cache when fresh; nil when no such user.
    func user(named name: String) async throws(StoreError) -> StoredUser? {
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[name] }), now - entry.fetched < ttl { return entry.user }
        let user = try await store.user(named: name)
        entries.withLock { $0[name] = Entry(user: user, fetched: now) }
        return user
    }

    func invalidate(_ name: String) {
        _ = entries.withLock { $0.removeValue(forKey: name) }
    }
}
