import Logging
import ServiceLifecycle
import Storage
import Synchronization

/// The clock loop: every `tick` asks the command service to raise
/// `case.overdue` for cases whose deadlines or clocks have run out. Stops on
/// graceful shutdown; a round in progress finishes first.
///
/// With a `lease` (PostgreSQL, several instances on one database) a tick scans
/// only while this instance holds the lease; otherwise it is skipped. Without
/// one (SQLite: one process per database) every tick scans.
public struct OverdueClock: Service {
    public let service: CommandService
    public let tick: Duration
    /// Cases handled per call; a backlog is worked off over consecutive calls without waiting.
    public let batch: Int
    public let lease: (any ScanLease)?
    let logger: Logger

    public init(service: CommandService, tick: Duration = .seconds(5), batch: Int = 100, lease: (any ScanLease)? = nil,
                logger: Logger) {
        self.service = service
        self.tick = tick
        self.batch = batch
        self.lease = lease
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await runTick()
            // Only the wait is cut short by shutdown; a round in progress finishes.
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
            } catch {
                break
            }
        }
        // Let another instance take over at once rather than after our session times out.
        await lease?.release()
    }

    /// One tick: scan (if this instance holds the lease) and work off any backlog.
    func runTick() async {
        if let lease, await !lease.acquire() {
            service.overdueScans.recordSkipped()
            return
        }
        service.overdueScans.recordScan()
        var raised = await service.raiseOverdue(limit: batch)
        while raised >= batch && !Task.isCancelled && !Task.isShuttingDownGracefully {
            logger.debug("overdue backlog", metadata: ["raised": "\(raised)"])
            raised = await service.raiseOverdue(limit: batch)
        }
        if raised > 0 { logger.debug("raised overdue events", metadata: ["count": "\(raised)"]) }
    }
}

/// How many clock ticks scanned for overdue cases and how many were skipped
/// because another instance holds the scan lease (for STATS and metrics).
public final class OverdueScanCounters: Sendable {
    private let scans = Atomic<Int>(0)
    private let skips = Atomic<Int>(0)

    public init() {}

    /// Ticks that scanned.
    public var scanned: Int { scans.load(ordering: .relaxed) }
    /// Ticks skipped because another instance held the lease.
    public var skipped: Int { skips.load(ordering: .relaxed) }

    func recordScan() { scans.add(1, ordering: .relaxed) }
    func recordSkipped() { skips.add(1, ordering: .relaxed) }
}
