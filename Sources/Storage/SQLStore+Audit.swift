import Foundation
import AuditLog

extension SQLStore {
    public func trail(chain: String, from: Int64, limit: Int) async throws(StoreError) -> [AuditEvent] {
        try await pool.withConnection { connection in
            try connection.query(
                "SELECT \(Self.eventColumns) FROM audit_events WHERE chain = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
                [.text(chain), .int(from), .int(Int64(max(0, limit)))]
            ).map { row throws(StoreError) in try Self.event(from: row) }
        }
    }

    public func chainHead(_ chain: String) async throws(StoreError) -> ChainHead? {
        try await pool.withConnection { connection in
            guard let row = try connection.query(
                "SELECT seq, hash, at FROM audit_events WHERE chain = $1 ORDER BY seq DESC LIMIT 1", [.text(chain)]).first
            else { return nil }
            do {
                return ChainHead(seq: try row.int(0), hash: try row.string(1), at: try Timestamp(rfc3339: try row.string(2)))
            } catch {
                throw StoreError(.corrupt, "chain \(chain): unreadable head: \(error)")
            }
        }
    }

    /// Rows per round trip while verifying: large enough to be fast, small
    /// enough that millions of events need little memory.
    static let verifyBatch = 5_000

    public func verify(chain: String?) async throws(StoreError) -> StorageVerification {
        var check = StorageChainCheck()
        var cases = CaseHeadCursor(store: self, only: chain)
        // Chains arrive in id order, and so do cases (both columns use byte
        // order), so they are compared as a merge: neither events nor cases
        // are ever all in memory. The next batch is read and decoded on a
        // pool thread while this one is hashed, so the database, the row
        // decoding and SHA-256 work at the same time.
        var pending: Task<Result<[StoredEvent], StoreError>, Never>? =
            startEventBatch(chain: chain, after: chain.map { ($0, 0) })
        while let task = pending {
            let batch = try await task.value.get()
            pending = nil
            if let last = batch.last, batch.count == Self.verifyBatch {
                pending = startEventBatch(chain: chain, after: (last.chain, last.seq))
            }
            // SHA-256 over canonical JSON is the bulk of the work: the batch is
            // hashed on all cores at once, then checked in order.
            let hashes = await Self.computedHashes(batch)
            for (event, hash) in zip(batch, hashes) {
                if let finished = check.feed(event, computedHash: hash) {
                    try await cases.settle(finished, into: &check.broken)
                }
            }
        }
        if let finished = check.finishChain() { try await cases.settle(finished, into: &check.broken) }
        try await cases.settleRemaining(into: &check.broken)
        let broken = check.broken.sorted { ($0.chain, $0.seq) < ($1.chain, $1.seq) }
        return StorageVerification(chains: check.chains, events: check.events, broken: broken)
    }

    /// `computedHash()` of every event, in order, computed in parallel slices.
    static func computedHashes(_ batch: [StoredEvent]) async -> [String] {
        let slices = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))
        guard slices > 1, batch.count >= 256 else { return batch.map { $0.computedHash() } }
        let size = (batch.count + slices - 1) / slices
        return await withTaskGroup(of: (Int, [String]).self) { group in
            for start in stride(from: 0, to: batch.count, by: size) {
                let slice = batch[start..<min(batch.count, start + size)]
                group.addTask { (start, slice.map { $0.computedHash() }) }
            }
            var hashes = [String](repeating: "", count: batch.count)
            for await (start, part) in group { hashes.replaceSubrange(start..<start + part.count, with: part) }
            return hashes
        }
    }

    private func startEventBatch(chain: String?, after: (chain: String, seq: Int64)?)
        -> Task<Result<[StoredEvent], StoreError>, Never>
    {
        Task {
            do throws(StoreError) {
                return .success(try await eventBatch(chain: chain, after: after))
            } catch {
                return .failure(error)
            }
        }
    }

    /// One batch of events after `after`, of one chain or of all, as stored:
    /// `data` is not parsed, the hash is computed over the stored text.
    private func eventBatch(chain: String?, after: (chain: String, seq: Int64)?) async throws(StoreError)
        -> [StoredEvent]
    {
        try await pool.withConnection { connection in
            // Keyset pagination over the primary key (chain, seq): each batch
            // is an index range scan starting where the last one ended. The
            // row comparison matters: `chain > $1 OR (chain = $1 AND seq > $2)`
            // is no index bound, and each batch scanned the index from the start.
            let rows: [SQLRow]
            if let chain {
                rows = try connection.query(
                    "SELECT \(Self.eventColumns) FROM audit_events WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                    [.text(chain), .int(after?.seq ?? 0), .int(Int64(Self.verifyBatch))])
            } else if let after {
                rows = try connection.query(
                    """
                    SELECT \(Self.eventColumns) FROM audit_events
                    WHERE (chain, seq) > ($1, $2) ORDER BY chain, seq LIMIT $3
                    """,
                    [.text(after.chain), .int(after.seq), .int(Int64(Self.verifyBatch))])
            } else {
                rows = try connection.query(
                    "SELECT \(Self.eventColumns) FROM audit_events ORDER BY chain, seq LIMIT $1",
                    [.int(Int64(Self.verifyBatch))])
            }
            return try rows.map { row throws(StoreError) in try Self.storedEvent(from: row) }
        }
    }
}

/// A finished chain: its name and last event.
struct FinishedChain {
    var chain: String
    var seq: Int64
    var hash: String
    var broken: Bool
}

/// Verification of chains arriving sorted by (chain, seq), keeping only the
/// running chain's state.
struct StorageChainCheck {
    private var verifier = ChainVerifier()
    private var current: FinishedChain?
    var broken: [BrokenChain] = []
    private(set) var chains = 0
    private(set) var events: Int64 = 0

    /// Checks one event; returns the previous chain when this one starts a new chain.
    mutating func feed(_ event: StoredEvent, computedHash: String) -> FinishedChain? {
        var finished: FinishedChain?
        if event.chain != current?.chain {
            finished = finishChain()
            current = FinishedChain(chain: event.chain, seq: 0, hash: "", broken: false)
            verifier = ChainVerifier()
            chains += 1
        }
        events += 1
        if let problem = verifier.check(event, computedHash: computedHash), current?.broken == false {
            current?.broken = true
            broken.append(BrokenChain(chain: problem.chain, seq: problem.seq, reason: problem.reason))
        }
        current?.seq = event.seq
        current?.hash = event.hash
        return finished
    }

    mutating func finishChain() -> FinishedChain? {
        defer { current = nil }
        return current
    }
}

/// Walks the cases table in id order alongside the chains, comparing each
/// case's stored version and head with the end of its chain.
struct CaseHeadCursor {
    let store: SQLStore
    let only: String?
    private var buffer: [(id: String, version: Int64, head: String)] = []
    private var position = 0
    private var lastID = ""
    private var exhausted = false

    init(store: SQLStore, only: String?) {
        self.store = store
        self.only = only
    }

    private mutating func peek() async throws(StoreError) -> (id: String, version: Int64, head: String)? {
        if position < buffer.count { return buffer[position] }
        if exhausted { return nil }
        let lastID = self.lastID
        let only = self.only
        buffer = try await store.pool.withConnection { connection in
            let rows = only == nil
                ? try connection.query(
                    "SELECT id, version, head FROM cases WHERE id > $1 ORDER BY id LIMIT $2",
                    [.text(lastID), .int(Int64(SQLStore.verifyBatch))])
                : try connection.query("SELECT id, version, head FROM cases WHERE id = $1", [.text(only!)])
            return try rows.map { row throws(StoreError) in (try row.string(0), try row.int(1), try row.string(2)) }
        }
        position = 0
        if buffer.count < SQLStore.verifyBatch || only != nil { exhausted = true }
        if let last = buffer.last { self.lastID = last.id }
        return buffer.first
    }

    /// Compares the case of `chain` (if any); cases before it have no chain.
    mutating func settle(_ chain: FinishedChain, into broken: inout [BrokenChain]) async throws(StoreError) {
        var matched = false
        while let row = try await peek(), row.id <= chain.chain {
            position += 1
            if row.id < chain.chain {
                broken.append(BrokenChain(chain: row.id, seq: 1, reason: "case has no audit events"))
                continue
            }
            matched = true
            if !chain.broken, row.version != chain.seq || row.head != chain.hash {
                broken.append(BrokenChain(
                    chain: row.id, seq: row.version == chain.seq ? chain.seq : min(row.version, chain.seq) + 1,
                    reason: "stored case is at version \(row.version) with head \(row.head.prefix(16))…, "
                        + "but its chain ends at seq \(chain.seq) with hash \(chain.hash.prefix(16))…"))
            }
        }
        if !matched, chain.chain != AuditEvent.systemChain, !chain.broken {
            broken.append(BrokenChain(chain: chain.chain, seq: 1, reason: "chain has no case"))
        }
    }

    mutating func settleRemaining(into broken: inout [BrokenChain]) async throws(StoreError) {
        while let row = try await peek() {
            position += 1
            broken.append(BrokenChain(chain: row.id, seq: 1, reason: "case has no audit events"))
        }
    }
}
