import Logging
import NIOPosix
import PostgresClient
import Synchronization

/// Who may run the overdue scan now. With several atmpd instances on one
/// PostgreSQL database only the holder of the lease scans; the others skip
/// their tick. Scanning twice would still be safe (each overdue change is
/// version-guarded, so a duplicate loses with a conflict) but wasteful.
public protocol ScanLease: Sendable {
    /// True when this instance holds the lease (taking it if it is free).
    func acquire() async -> Bool
    /// Gives the lease up (at shutdown) so another instance can take it at once.
    func release() async
}

/// The lease as a session-level advisory lock (`pg_try_advisory_lock`) held
/// on a connection of its own. If the holder dies, PostgreSQL ends its
/// session and the lock with it, and another instance takes it at its next
/// tick. Every `acquire` runs a statement on that session, so a holder whose
/// connection died learns it has lost the lease at its next tick.
///
/// Its blocking libpq calls run on a one-thread pool of its own.
public final class PostgresScanLease: ScanLease {
    /// Distinct from the migration lock (7275312).
    public static let lockKey: Int64 = 7_275_313

    let connectionString: String
    let logger: Logger
    private let thread: NIOThreadPool
    private struct State {
        var connection: PostgresConnection?
        var held = false
    }
    private let state = Mutex(State())

    public init(connectionString: String, logger: Logger) {
        self.connectionString = connectionString
        self.logger = logger
        self.thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
    }

    /// Whether the last `acquire` found the lease held by this instance.
    public var isHeld: Bool { state.withLock { $0.held } }

    public func acquire() async -> Bool {
        (try? await thread.runIfActive { [self] in acquireBlocking() }) ?? false
    }

    public func release() async {
        _ = try? await thread.runIfActive { [self] in
            state.withLock { state in
                if state.held {
                    // Unlocked explicitly: closing the session frees the lock
                    // too, but only once the server has noticed, so another
                    // instance trying at once could still find it taken.
                    _ = try? state.connection?.execute("SELECT pg_advisory_unlock($1)", [.int(Self.lockKey)])
                    logger.info("overdue scan lease released")
                }
                state.connection = nil
                state.held = false
            }
        }
    }

    /// Releases the lease and stops the thread.
    public func close() async {
        await release()
        try? await thread.shutdownGracefully()
    }

    private func acquireBlocking() -> Bool {
        state.withLock { state in
            do {
                if state.connection == nil {
                    state.connection = try PostgresConnection(connectionString, logger: logger)
                }
                let connection = state.connection!
                if state.held {
                    // Still ours while the session lives; this proves it does.
                    try connection.execute("SELECT 1")
                    return true
                }
                let rows = try connection.execute("SELECT pg_try_advisory_lock($1)", [.int(Self.lockKey)])
                state.held = try rows.rows.first?.bool(0) ?? false
                if state.held { logger.info("overdue scan lease taken: this instance scans for overdue cases") }
                return state.held
            } catch {
                if state.held { logger.warning("overdue scan lease lost", metadata: ["error": "\(error)"]) }
                state.connection = nil
                state.held = false
                return false
            }
        }
    }
}
