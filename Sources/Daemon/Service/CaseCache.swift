import Storage
import Synchronization

/// The latest projection of recently changed cases, so that a change to a
/// case need not read it from the store first.
///
/// Why this is safe even with several atmpd instances on one database: the
/// cache is only ever used to *decide* a change, and every commit is guarded
/// by the version the decision was made on. A stale entry makes the commit
/// fail with a conflict; the change path then drops the entry, reads the case
/// from the store and decides again. Reads that answer the client (CASE SHOW,
/// CASE LIST) always go to the store.
///
/// Entries are packed (`PackedCase`: the JSON body's bytes, shrunk by
/// `CasePacking` to about 0.8 KB for a case well into its pathway) and
/// unpacked on use, which costs tens of microseconds but keeps 100,000 cases
/// in about 120 MB instead of 300.
///
/// Bounded: at most `capacity` cases; when full, the case cached longest ago
/// goes first (first in, first out — a change to a cached case does not move
/// it, which keeps eviction O(1) and is good enough for a write-through cache).
final class CaseCache: Sendable {
    private struct State: ~Copyable {
        var cases: [String: PackedCase] = [:]
        /// Ids in the order they were first cached; may hold ids removed since.
        var order: [String] = []
        var head = 0
        var hits: Int64 = 0
        var misses: Int64 = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    /// `capacity` 0 disables caching.
    init(capacity: Int) { self.capacity = max(0, capacity) }

    func get(_ id: String) -> StoredCase? {
        let packed: PackedCase? = state.withLock { s in
            if let found = s.cases[id] {
                s.hits += 1
                return found
            }
            s.misses += 1
            return nil
        }
        guard let packed else { return nil }
        do throws(StoreError) {
            return try packed.unpacked()
        } catch {
            remove(id)  // cannot happen short of memory damage; the store has the truth
            return nil
        }
    }

    /// Caches a case as the store now has it (after a commit or a load).
    /// An older version never replaces a newer one.
    func put(_ stored: StoredCase) {
        guard capacity > 0 else { return }
        let id = stored.case.id
        let packed = PackedCase(stored)  // outside the lock: encoding takes microseconds
        state.withLock { s in
            if let existing = s.cases[id] {
                if existing.version <= packed.version { s.cases[id] = packed }
                return
            }
            while s.cases.count >= capacity, s.head < s.order.count {
                s.cases[s.order[s.head]] = nil
                s.head += 1
            }
            s.cases[id] = packed
            s.order.append(id)
            // Compact the order queue now and then instead of shifting on every
            // eviction; ids removed (or removed and cached again) leave stale
            // entries behind, which the rebuild drops.
            if s.order.count - s.head > 2 * capacity + 1_024 || (s.head > 1_024 && s.head * 2 > s.order.count) {
                var seen = Set<String>()
                var live: [String] = []
                for index in s.head..<s.order.count {
                    let cached = s.order[index]
                    if s.cases[cached] != nil && seen.insert(cached).inserted { live.append(cached) }
                }
                s.order = live
                s.head = 0
            }
        }
    }

    /// Forgets a case, after a conflict showed the cached version is stale.
    func remove(_ id: String) {
        _ = state.withLock { $0.cases.removeValue(forKey: id) }
    }

    var count: Int { state.withLock { $0.cases.count } }

    var statistics: (hits: Int64, misses: Int64) { state.withLock { ($0.hits, $0.misses) } }
}
