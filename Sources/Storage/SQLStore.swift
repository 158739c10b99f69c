import AuditLog
import CaseEngine
import Logging

/// The store behind both databases: one implementation of `Store` over a
/// pool of `SQLConnection`s. Open it with `PostgresStore.open` or
/// `SQLiteStore.open`; the few statements that differ by dialect say so.
public final class SQLStore: Store {
    let pool: ConnectionPool
    let dialect: Dialect
    let logger: Logger

    /// PostgreSQL only: gathers concurrent case changes into shared transactions.
    let groupCommit: CommitLanes?

    public var laneWatch: LaneWatch? { groupCommit?.watch }

    init(pool: ConnectionPool, dialect: Dialect, logger: Logger, commitLanes: Int = 0, commitSpin: Duration = .zero,
         maxBatch: Int = 128) throws(StoreError)
    {
        self.pool = pool
        self.dialect = dialect
        self.logger = logger
        if dialect == .postgres && commitLanes > 0 {
            groupCommit = try CommitLanes(lanes: commitLanes, maxBatch: maxBatch, spin: commitSpin, pool: pool)
        } else {
            groupCommit = nil
        }
    }

    public func close() async {
        await groupCommit?.close()
        await pool.close()
    }

    public func poolStatus() -> PoolStatus? {
        var status = pool.status
        status.groupCommit = groupCommit?.status
        return status
    }

    /// Applies every migration not yet recorded, each in its own transaction.
    /// Safe to run concurrently from several processes and to run again.
    public func migrate() async throws(StoreError) -> [Migration] {
        let dialect = self.dialect
        return try await pool.withConnection { connection in
            var applied: [Migration] = []
            for migration in Migrations.all(for: dialect) {
                let done: Bool = try connection.transaction {
                    if dialect == .postgres {
                        // One migrator at a time across processes.
                        try connection.execute("SELECT pg_advisory_xact_lock(7275312)")
                    }
                    // Create the bookkeeping table only when missing: a role without
                    // CREATE rights (atmp_app) can then start on a current schema.
                    let exists = dialect == .postgres
                        ? "SELECT 1 WHERE to_regclass('schema_migrations') IS NOT NULL"
                        : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
                    if try connection.query(exists, []).isEmpty { try connection.execute(Migrations.createTable) }
                    let rows = try connection.query(
                        "SELECT 1 FROM schema_migrations WHERE version = $1", [.int(Int64(migration.version))])
                    if !rows.isEmpty { return false }
                    for statement in migration.statements { try connection.execute(statement) }
                    try connection.execute(
                        "INSERT INTO chain_heads (chain, seq, hash, at) VALUES ($1, 0, $2, '') ON CONFLICT (chain) DO NOTHING",
                        [.text(AuditEvent.systemChain), .text(AuditEvent.genesisPrev)])
                    try connection.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                        [.int(Int64(migration.version)), .text(migration.name), .text(Timestamp.now().rfc3339)])
                    return true
                }
                if done { applied.append(migration) }
            }
            return applied
        }
    }

    /// Versions recorded in `schema_migrations`.
    public func appliedMigrations() async throws(StoreError) -> [Int] {
        try await pool.withConnection { connection in
            try connection.query("SELECT version FROM schema_migrations ORDER BY version", []).map { try $0.int(0) }
                .map(Int.init)
        }
    }
}

extension Timestamp {
    /// The wall clock, for bookkeeping columns only (the core never reads it).
    static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microseconds: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }
}

#if canImport(Glibc)
import Glibc
#endif
