import Dispatch
import NIOPosix
import Synchronization

/// A fixed number of database connections, each used by one piece of work at
/// a time, on the threads of a `NIOThreadPool` — so blocking libpq and SQLite
/// calls never run on an event loop or a Swift concurrency thread.
///
/// When a connection turns out unusable (the server went away), it is dropped
/// and the next piece of work opens a new one. Opening is retried with
/// exponential backoff: while a backoff runs, work that would need a new
/// connection fails at once with `.unavailable` instead of piling up, so the
/// daemon answers 451 promptly and recovers by itself when the server returns.
final class ConnectionPool: Sendable {
    typealias Connection = any SQLConnection
    typealias Connect = @Sendable () throws(StoreError) -> Connection
    /// Checks an idle connection before use; false drops it.
    typealias Probe = @Sendable (Connection) -> Bool

    private enum Lease {
        case existing(Connection)
        case openNew
    }

    /// Work waiting for a connection: a task, or a thread of its own
    /// (`withConnectionHere`) blocked until its lease is handed over.
    private enum Waiter {
        case task(CheckedContinuation<Lease?, any Error>)
        case thread(ThreadWaiter)

        func resume(_ result: Result<Lease, StoreError>) {
            switch self {
            case .task(let continuation): continuation.resume(with: result.map { $0 }.mapError { $0 })
            case .thread(let waiter): waiter.hand(result)
            }
        }
    }

    private final class ThreadWaiter: Sendable {
        private let result = Mutex<Result<Lease, StoreError>?>(nil)
        private let handed = DispatchSemaphore(value: 0)

        func hand(_ lease: Result<Lease, StoreError>) {
            result.withLock { $0 = lease }
            handed.signal()
        }

        func wait() -> Result<Lease, StoreError> {
            handed.wait()
            return result.withLock { $0! }
        }
    }

    private struct State: ~Copyable {
        var idle: [Connection] = []
        var open = 0
        var waiters: [Waiter] = []
        var closed = false
        var failures = 0
        /// Every failed attempt to connect since start, for metrics.
        var connectFailures = 0
        var backoffUntil: ContinuousClock.Instant?
    }

    let size: Int
    private let threads: NIOThreadPool
    private let connect: Connect
    private let probe: Probe
    private let state = Mutex(State())

    init(size: Int, connect: @escaping Connect, probe: @escaping Probe = { _ in true }) {
        precondition(size >= 1)
        self.size = size
        self.connect = connect
        self.probe = probe
        self.threads = NIOThreadPool(numberOfThreads: size)
        threads.start()
    }

    /// Runs `body` with a connection on a pool thread.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws(StoreError) -> T {
        let lease: Lease
        do {
            lease = try await acquire()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.unavailable, "no database connection: \(error)")
        }
        do {
            return try await threads.runIfActive { [self] () throws -> T in try run(body, with: lease) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.unavailable, "database work could not run: \(error)")
        }
    }

    /// Runs `body` with a connection on the calling thread, blocking it while
    /// no connection is free. Only for a thread of the caller's own that may
    /// block (a commit lane): never an event loop or a Swift concurrency
    /// thread.
    func withConnectionHere<T>(_ body: (Connection) throws -> T) throws(StoreError) -> T {
        var lease: Lease?
        while lease == nil {
            switch takeLease() {
            case .lease(let taken):
                lease = taken
            case .fail(let error):
                throw error
            case .wait:
                let waiter = ThreadWaiter()
                switch queue(.thread(waiter)) {
                case .queued: lease = try waiter.wait().get()
                case .retry: continue
                case .closed: throw StoreError(.unavailable, "the store is closed")
                }
            }
        }
        do {
            return try run(body, with: lease!)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.failure, "\(error)")
        }
    }

    /// Runs `body` on the leased connection (opening it first if the lease
    /// says so) and gives the connection back.
    private func run<T>(_ body: (Connection) throws -> T, with lease: Lease) throws -> T {
        let connection: Connection
        switch lease {
        case .existing(let c):
            connection = c
        case .openNew:
            do {
                connection = try connect()
                connected()
            } catch {
                connectFailed()
                throw error
            }
        }
        defer { release(connection) }
        return try body(connection)
    }

    /// Fails waiting work, closes idle connections and stops the threads.
    func close() async {
        let (waiters, _) = state.withLock { state -> ([Waiter], [Connection]) in
            state.closed = true
            let waiters = state.waiters
            let idle = state.idle
            state.waiters = []
            state.idle = []
            state.open -= idle.count
            return (waiters, idle)
        }
        for waiter in waiters { waiter.resume(.failure(StoreError(.unavailable, "the store is closed"))) }
        try? await threads.shutdownGracefully()
    }

    /// How the pool is used right now, for STATS and metrics.
    var status: PoolStatus {
        state.withLock { state in
            PoolStatus(size: size, open: state.open, idle: state.idle.count, waiting: state.waiters.count,
                       connectFailures: state.connectFailures)
        }
    }

    // MARK: - Leases

    private enum Decision { case lease(Lease), wait, fail(StoreError) }

    private func acquire() async throws -> Lease {
        while true {
            switch takeLease() {
            case .lease(let lease): return lease
            case .fail(let error): throw error
            case .wait: if let lease = try await waitForLease() { return lease }
            }
        }
    }

    /// A free connection, a slot to open one, or word to wait (or fail).
    private func takeLease() -> Decision {
        while true {
            let decision: Decision = state.withLock { state in
                if state.closed { return .fail(StoreError(.unavailable, "the store is closed")) }
                if let connection = state.idle.popLast() { return .lease(.existing(connection)) }
                if state.open < size {
                    if let until = state.backoffUntil, ContinuousClock.now < until {
                        return .fail(StoreError(.unavailable, "database unreachable; retrying shortly"))
                    }
                    state.open += 1
                    return .lease(.openNew)
                }
                return .wait
            }
            guard case .lease(.existing(let connection)) = decision else { return decision }
            if probe(connection) { return decision }
            // Stale (the server went away while it was idle): drop it and try again.
            state.withLock { $0.open -= 1 }
        }
    }

    /// The lease a release hands over; nil when a connection came free
    /// between `takeLease` and queueing (ask again).
    private func waitForLease() async throws -> Lease? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease?, any Error>) in
            switch queue(.task(continuation)) {
            case .queued: break
            case .retry: continuation.resume(returning: nil)
            case .closed: continuation.resume(throwing: StoreError(.unavailable, "the store is closed"))
            }
        }
    }

    private enum Queueing { case queued, retry, closed }

    /// Queues `waiter` for the next released connection, unless one came
    /// free (or a slot to open one) since `takeLease` said to wait: without
    /// this check, that connection's release could have found no waiter and
    /// left this one waiting for the next release, which may never come.
    private func queue(_ waiter: Waiter) -> Queueing {
        state.withLock { state in
            if state.closed { return .closed }
            if !state.idle.isEmpty || state.open < size { return .retry }
            state.waiters.append(waiter)
            return .queued
        }
    }

    private func release(_ connection: Connection) {
        let usable = connection.isUsable
        let waiter: (Waiter, Lease)? = state.withLock { state in
            if state.closed || !usable {
                state.open -= 1
                guard !state.closed, !state.waiters.isEmpty else { return nil }
                // A slot is free: let the first waiter open a new connection.
                state.open += 1
                return (state.waiters.removeFirst(), .openNew)
            }
            if !state.waiters.isEmpty { return (state.waiters.removeFirst(), .existing(connection)) }
            state.idle.append(connection)
            return nil
        }
        if let (waiter, lease) = waiter { waiter.resume(.success(lease)) }
    }

    private func connected() {
        state.withLock { state in
            state.failures = 0
            state.backoffUntil = nil
        }
    }

    private func connectFailed() {
        let waiters: [Waiter] = state.withLock { state in
            state.open -= 1
            state.failures += 1
            state.connectFailures += 1
            let milliseconds = min(2_000, 50 << min(state.failures - 1, 6))
            state.backoffUntil = ContinuousClock.now + .milliseconds(milliseconds)
            // Nobody is connected: waiting work would wait for nothing.
            guard state.open == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(.failure(StoreError(.unavailable, "database unreachable"))) }
    }
}
