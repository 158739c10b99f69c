import Logging
import ServiceLifecycle

/// The clock loop: every `tick` asks the command service to raise
/// `case.overdue` for cases whose deadlines or clocks have run out. Stops on
/// graceful shutdown; a round in progress finishes first.
public struct OverdueClock: Service {
    public let service: CommandService
    public let tick: Duration
    /// Cases handled per call; a backlog is worked off over consecutive calls without waiting.
    public let batch: Int
    let logger: Logger

    public init(service: CommandService, tick: Duration = .seconds(5), batch: Int = 100, logger: Logger) {
        self.service = service
        self.tick = tick
        self.batch = batch
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var raised = await service.raiseOverdue(limit: batch)
            while raised >= batch && !Task.isCancelled && !Task.isShuttingDownGracefully {
                logger.debug("overdue backlog", metadata: ["raised": "\(raised)"])
                raised = await service.raiseOverdue(limit: batch)
            }
            if raised > 0 { logger.debug("raised overdue events", metadata: ["count": "\(raised)"]) }
            // Only the wait is cut short by shutdown; a round in progress finishes.
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
            } catch {
                return
            }
        }
    }
}
