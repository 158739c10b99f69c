import AuditLog
import CaseEngine
import Synchronization
import Testing
@testable import Storage

@Suite("Concurrent changes")
struct ConcurrencyTests {
    /// Many writers race on one case: every version is won by exactly one of
    /// them, the losers get `.conflict`, and the chain has no gap or fork.
    @Test(arguments: Backend.allCases)
    func exactlyOneWinnerPerVersion(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend, poolSize: 8)
        defer { Task { await db.store.close() } }
        _ = try await publishSampleTemplate(db.store)
        let t0 = Timestamp(seconds: 1_800_000_000)
        let opened = CaseBuilder(id: try await db.store.allocateCaseID(), at: t0)
        try await db.store.commit(opened.write(since: 0))
        let id = opened.current.id

        let writers = 8
        let attemptsEach = 15
        let outcome = try await withThrowingTaskGroup(of: (won: [Int64], lost: Int).self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var won: [Int64] = []
                    var lost = 0
                    for attempt in 0..<attemptsEach {
                        let stored = try #require(try await db.store.loadCase(id: id))
                        var builder = CaseBuilder(continuing: stored.case)
                        builder.append(at: t0.adding(seconds: Int64(stored.case.version)),
                                       data: ["text": .string("writer \(writer) attempt \(attempt)")])
                        do {
                            try await db.store.commit(builder.write(since: stored.case.version))
                            won.append(stored.case.version + 1)
                        } catch let error as StoreError where error.code == .conflict {
                            lost += 1
                        }
                    }
                    return (won, lost)
                }
            }
            var all: [Int64] = []
            var lost = 0
            for try await result in group {
                all += result.won
                lost += result.lost
            }
            return (won: all, lost: lost)
        }
        let versions = outcome.won.sorted()
        // Each version from 2 on was committed exactly once, without gaps.
        #expect(versions == Array(2...Int64(1 + versions.count)))
        #expect(versions.count + outcome.lost == writers * attemptsEach)
        #expect(versions.count >= attemptsEach)  // at least one writer always wins each round
        let final = try #require(try await db.store.loadCase(id: id))
        #expect(final.case.version == Int64(1 + versions.count))
        #expect(try await db.store.trail(chain: id, from: 1, limit: 10_000).count == 1 + versions.count)
        let report = try await db.store.verify(chain: nil)
        #expect(report.isIntact, "\(report.broken)")
    }
}
