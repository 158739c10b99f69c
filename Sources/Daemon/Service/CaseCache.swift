import Storage
import Synchronization

/// The latest projection of recently changed cases, so that a change to a
/// case need not read it from the store first.
///
/// Why this is safe even with several atmpd instances on one database: the
/// cache is only ever used to *decide* a change, and every commit is guarded
/// by the version the decision was made on. A stale entry makes the commit
/// fail with a conflict; the change path then drops the entry, reads the case
/// from the store and decides again. A decision that refuses the change
/// commits nothing, so it is checked against the store instead
/// (`changeCase`). Reads that answer the client (CASE SHOW, CASE LIST) always
/// go to the store.
///
/// Two tiers. The cases changed most recently are kept as they are (up to
/// `recentCapacity`, first in, first out): a case being worked on is decided
/// again and again, and unpacking and repacking it for every change cost
/// about an eighth of the daemon's CPU per change. Older ones are packed
/// (`PackedCase`: the JSON body's bytes, shrunk by `CasePacking` to about
/// 0.8 KB for a case well into its pathway), which costs tens of
/// microseconds on use but keeps 100,000 cases in about 120 MB instead of 300.
///
/// Bounded: at most `capacity` cases, of which `recentCapacity` unpacked;
/// when a tier is full, the case that entered it longest ago leaves it
/// (first in, first out — a change to a cached case does not move it, which
/// keeps eviction O(1) and is good enough for a write-through cache).
final class CaseCache: Sendable {
    /// A first-in-first-out map: `order` may hold ids removed since, which
    /// eviction skips and compaction drops.
    private struct Tier<Value>: ~Copyable {
        var values: [String: Value] = [:]
        var order: [String] = []
        var head = 0

        /// Adds a new id, evicting the oldest while over `capacity`; returns what was evicted.
        mutating func insert(_ id: String, _ value: Value, capacity: Int) -> [(String, Value)] {
            var evicted: [(String, Value)] = []
            while values.count >= capacity, head < order.count {
                if let gone = values.removeValue(forKey: order[head]) { evicted.append((order[head], gone)) }
                head += 1
            }
            values[id] = value
            order.append(id)
            // Compact the order queue now and then instead of shifting on every
            // eviction; ids removed (or removed and cached again) leave stale
            // entries behind, which the rebuild drops.
            if order.count - head > 2 * capacity + 1_024 || (head > 1_024 && head * 2 > order.count) {
                var seen = Set<String>()
                var live: [String] = []
                for index in head..<order.count where values[order[index]] != nil && seen.insert(order[index]).inserted {
                    live.append(order[index])
                }
                order = live
                head = 0
            }
            return evicted
        }
    }

    private struct State: ~Copyable {
        var recent = Tier<StoredCase>()
        var packed = Tier<PackedCase>()
        var hits: Int64 = 0
        var misses: Int64 = 0
    }

    let capacity: Int
    let recentCapacity: Int
    private var packedCapacity: Int { capacity - recentCapacity }
    private let state = Mutex(State())

    /// `capacity` 0 disables caching. `recentCapacity` of them are kept
    /// unpacked (at most all of them).
    init(capacity: Int, recentCapacity: Int = 1_024) {
        self.capacity = max(0, capacity)
        self.recentCapacity = min(self.capacity, max(0, recentCapacity))
    }

    func get(_ id: String) -> StoredCase? {
        enum Found { case recent(StoredCase), packed(PackedCase), none }
        let found: Found = state.withLock { s in
            if let recent = s.recent.values[id] {
                s.hits += 1
                return .recent(recent)
            }
            if let packed = s.packed.values[id] {
                s.hits += 1
                return .packed(packed)
            }
            s.misses += 1
            return .none
        }
        switch found {
        case .recent(let stored): return stored
        case .none: return nil
        case .packed(let packed):
            do throws(StoreError) {
                return try packed.unpacked()
            } catch {
                remove(id)  // cannot happen short of memory damage; the store has the truth
                return nil
            }
        }
    }

    /// Caches a case as the store now has it (after a commit or a load).
    /// An older version never replaces a newer one.
    func put(_ stored: StoredCase) {
        guard capacity > 0 else { return }
        guard recentCapacity > 0 else { return putPacked(PackedCase(stored)) }
        let recentCapacity = self.recentCapacity
        let id = stored.case.id
        let leaving: [(String, StoredCase)] = state.withLock { s in
            if let existing = s.recent.values[id] {
                if existing.case.version <= stored.case.version { s.recent.values[id] = stored }
                return []
            }
            if let older = s.packed.values[id], older.version > stored.case.version { return [] }
            return s.recent.insert(id, stored, capacity: recentCapacity)
        }
        // Packed outside the lock: encoding takes microseconds.
        for (_, old) in leaving { putPacked(PackedCase(old)) }
    }

    private func putPacked(_ packed: PackedCase) {
        guard packedCapacity > 0 else { return }
        state.withLock { s in
            // A case changed again meanwhile is in the recent tier, newer.
            if s.recent.values[packed.id] != nil { return }
            if let existing = s.packed.values[packed.id] {
                if existing.version <= packed.version { s.packed.values[packed.id] = packed }
                return
            }
            _ = s.packed.insert(packed.id, packed, capacity: packedCapacity)
        }
    }

    /// Forgets a case, after a conflict showed the cached version is stale.
    func remove(_ id: String) {
        state.withLock { s in
            s.recent.values[id] = nil
            s.packed.values[id] = nil
        }
    }

    /// Cases cached, in both tiers (a case in both counts once).
    var count: Int {
        state.withLock { s in s.packed.values.count + s.recent.values.keys.count { s.packed.values[$0] == nil } }
    }

    var statistics: (hits: Int64, misses: Int64) { state.withLock { ($0.hits, $0.misses) } }
}
