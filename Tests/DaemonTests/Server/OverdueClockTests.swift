import SocketTestSupport
import Logging
import ServiceLifecycle
import Testing
@testable import Daemon

@Suite("Overdue clock")
struct OverdueClockTests {
    @Test func stopsOnGracefulShutdown() async throws {
        let server = try await TestServer.start()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        // An hour's tick: only shutdown can end the wait.
        let clock = OverdueClock(service: server.service, tick: .seconds(3_600), logger: logger)
        let group = ServiceGroup(services: [clock], logger: logger)
        let run = Task { try await group.run() }
        try await Task.sleep(for: .milliseconds(50))
        await group.triggerGracefulShutdown()
        let stopped = await withTaskGroup(of: Bool.self) { waiters in
            waiters.addTask { (try? await run.value) != nil }
            waiters.addTask { try? await Task.sleep(for: .seconds(10)); return false }
            let first = await waiters.next() ?? false
            waiters.cancelAll()
            return first
        }
        #expect(stopped)
        try await server.stop()
    }
}
