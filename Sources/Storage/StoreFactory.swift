import Foundation
import Logging
import PostgresClient
import SQLiteClient

/// Opens the production store: a pool of libpq connections.
public enum PostgresStore {
    /// Connects lazily (the first piece of work opens the first connection)
    /// after checking once that the server is reachable.
    ///
    /// `commitLanes`: how many group-commit batches may be in flight at once
    /// (see `CommitLanes`); nil takes 1 (one lane, the biggest batches:
    /// measured best at 8 and 32 connections on 2 cores, docs/performance.md),
    /// 0 commits every change on its own. Each running lane holds one of the
    /// pool's `poolSize` connections, so at most `poolSize - 1` lanes run:
    /// reads always keep a connection.
    ///
    /// `commitSpin`: how long a lane waiting for a lone change's answer polls
    /// without sleeping (see `CommitLanes`); nil takes `defaultCommitSpin`,
    /// zero always sleeps.
    public static func open(
        connectionString: String, poolSize: Int = 8, commitLanes: Int? = nil, commitSpin: Duration? = nil,
        logger: Logger = Logger(label: "atmp.store.postgres")
    ) async throws(StoreError) -> SQLStore {
        let pool = ConnectionPool(
            size: poolSize,
            connect: { () throws(StoreError) in
                do {
                    return PostgresSQLConnection(try PostgresConnection(connectionString, logger: logger))
                } catch {
                    throw StoreError(.unavailable, "cannot connect to PostgreSQL: \((error as? PostgresError)?.message ?? "\(error)")")
                }
            },
            probe: { connection in
                // Reads whatever the server sent meanwhile without blocking: a
                // connection the server closed while idle fails here, not in
                // the middle of a client's command.
                guard let pg = connection as? PostgresSQLConnection else { return true }
                return (try? pg.connection.notifications()) != nil
            })
        let lanes = min(max(0, poolSize - 1), max(0, commitLanes ?? 1))
        return try await SQLStore.opened(pool) { () throws(StoreError) in
            try SQLStore(pool: pool, dialect: .postgres, logger: logger, commitLanes: lanes,
                         commitSpin: commitSpin ?? defaultCommitSpin)
        }
    }

    /// 1 ms with two processors or more, which covers a commit's round trip
    /// with a fast WAL flush; with one, never: a thread polling without
    /// sleeping would keep PostgreSQL from the only processor.
    public static var defaultCommitSpin: Duration {
        ProcessInfo.processInfo.activeProcessorCount >= 2 ? .milliseconds(1) : .zero
    }
}

/// Opens the embedded store: an SQLite file in WAL mode.
public enum SQLiteStore {
    public static func open(
        path: String, poolSize: Int = 4, busyTimeoutMilliseconds: Int32 = 5_000,
        logger: Logger = Logger(label: "atmp.store.sqlite")
    ) async throws(StoreError) -> SQLStore {
        let pool = ConnectionPool(
            size: poolSize,
            connect: { () throws(StoreError) in
                do {
                    return SQLiteSQLConnection(
                        try SQLiteConnection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds))
                } catch {
                    throw StoreError(.unavailable, "cannot open SQLite database \(path): \((error as? SQLiteError)?.message ?? "\(error)")")
                }
            })
        return try await SQLStore.opened(pool) { () throws(StoreError) in try SQLStore(pool: pool, dialect: .sqlite, logger: logger) }
    }
}

extension SQLStore {
    /// Opens the store a `DatabaseLocation` names.
    public static func open(_ location: DatabaseLocation, poolSize: Int? = nil, commitLanes: Int? = nil,
                            commitSpin: Duration? = nil, logger: Logger) async throws(StoreError) -> SQLStore
    {
        switch location {
        case .sqlite(let path):
            return try await SQLiteStore.open(path: path, poolSize: poolSize ?? 4, logger: logger)
        case .postgres(let connectionString):
            return try await PostgresStore.open(
                connectionString: connectionString, poolSize: poolSize ?? 8, commitLanes: commitLanes,
                commitSpin: commitSpin, logger: logger)
        }
    }

    /// The store made by `make` on `pool`, once a first statement went
    /// through; on failure the pool is closed again (its threads with it).
    static func opened(_ pool: ConnectionPool, _ make: () throws(StoreError) -> SQLStore) async throws(StoreError)
        -> SQLStore
    {
        let store: SQLStore
        do {
            store = try make()
        } catch {
            await pool.close()
            throw error
        }
        do {
            try await store.ping()
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// One trivial statement, to fail early and clearly when the database is unreachable.
    func ping() async throws(StoreError) {
        try await pool.withConnection { connection in _ = try connection.query("SELECT 1", []) }
    }
}
