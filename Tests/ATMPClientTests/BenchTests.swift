@testable import ATMPClient
import ControlProtocol
import FakeControlServer
import Histogram
import Testing

@Suite("Load generator: configuration and scheduling")
struct BenchSchedulingTests {
    @Test func casesDefaultToFourPerConnectionOrThePipelineDepth() throws {
        #expect(try BenchConfiguration(connections: 3, duration: .seconds(1)).cases == 12)
        #expect(try BenchConfiguration(connections: 3, duration: .seconds(1), pipeline: 6).cases == 18)
        #expect(try BenchConfiguration(connections: 3, duration: .seconds(1), cases: 3).cases == 3)
    }

    @Test func fewerCasesThanConnectionsIsAUsageError() {
        #expect(throws: ClientError.usage("--cases 2 is fewer than --connections 3: every connection needs a case of its own")) {
            try BenchConfiguration(connections: 3, duration: .seconds(1), cases: 2)
        }
    }

    @Test func otherNonsenseIsAUsageErrorNamingTheOption() {
        func message(_ make: () throws(ClientError) -> BenchConfiguration) -> String {
            do { _ = try make(); return "" } catch { return error.description }
        }
        #expect(message { () throws(ClientError) in try BenchConfiguration(connections: 0, duration: .seconds(1)) }
            .hasPrefix("--connections"))
        #expect(message { () throws(ClientError) in try BenchConfiguration(connections: 1, duration: .zero) }
            == "--duration must be more than 0 seconds")
        #expect(message { () throws(ClientError) in try BenchConfiguration(connections: 1, duration: .seconds(1), pipeline: 0) }
            .hasPrefix("--pipeline"))
        // Two in flight per connection need two cases per connection.
        #expect(message { () throws(ClientError) in
            try BenchConfiguration(connections: 2, duration: .seconds(1), cases: 3, pipeline: 2)
        } == "--pipeline 2 needs at least 2 cases per connection (--cases ≥ 4)")
    }

    @Test func connectionKOwnsTheCasesCongruentToK() throws {
        let configuration = try BenchConfiguration(connections: 3, duration: .seconds(1), cases: 8)
        #expect(configuration.caseNumbers(ownedBy: 0) == [0, 3, 6])
        #expect(configuration.caseNumbers(ownedBy: 1) == [1, 4, 7])
        #expect(configuration.caseNumbers(ownedBy: 2) == [2, 5])
        let all = (0..<3).flatMap { configuration.caseNumbers(ownedBy: $0) }.sorted()
        #expect(all == Array(0..<8), "every case belongs to exactly one connection")
    }

    func rotation(_ count: Int) -> CaseRotation {
        CaseRotation((1...count).map { CaseRotation.Entry(id: "C-\($0)", state: "here") })
    }

    @Test func theRotationGoesRoundRobinAndTracksStates() {
        var rotation = rotation(3)
        var sent: [String] = []
        for _ in 0..<6 {
            let next = rotation.next()!
            sent.append("\(next.id) \(next.transition)")
            rotation.acknowledged(next.index, transition: next.transition, state: nil)
        }
        #expect(sent == ["C-1 forth", "C-2 forth", "C-3 forth", "C-1 back", "C-2 back", "C-3 back"])
        #expect(rotation.entries.map(\.state) == ["here", "here", "here"])
    }

    @Test func aCaseInFlightIsNeverHandedOutAgain() {
        var rotation = rotation(2)
        let first = rotation.next()!
        let second = rotation.next()!
        #expect(first.id == "C-1" && second.id == "C-2")
        #expect(rotation.next() == nil, "both are in flight")
        #expect(rotation.inFlightCount == 2)
        rotation.acknowledged(second.index, transition: second.transition, state: nil)
        let third = rotation.next()!
        #expect(third.id == "C-2" && third.transition == "back", "C-1 is still in flight, so C-2 comes again")
    }

    @Test func theRepliedStateWinsAndARefusalKeepsTheState() {
        var rotation = rotation(1)
        var next = rotation.next()!
        rotation.acknowledged(next.index, transition: next.transition, state: "here")
        next = rotation.next()!
        #expect(next.transition == "forth", "the server said the case is still here")
        rotation.refused(next.index)
        #expect(rotation.next()?.transition == "forth")
    }

    @Test func aCaseOutsideTheLoopIsSkipped() {
        var rotation = CaseRotation([.init(id: "C-1", state: "done"), .init(id: "C-2", state: "there")])
        #expect(rotation.next()?.id == "C-2")
        #expect(rotation.next() == nil)
    }

    @Test func pendingRequestsComeOutOldestFirst() {
        let clock = ContinuousClock()
        var pending = PendingRequests(capacity: 2)
        pending.push(.init(index: 0, transition: "forth", sent: clock.now))
        pending.push(.init(index: 1, transition: "forth", sent: clock.now))
        #expect(pending.first?.index == 0)
        pending.removeFirst()
        pending.push(.init(index: 2, transition: "back", sent: clock.now))
        #expect(pending.count == 2)
        #expect(pending.first?.index == 1)
        pending.removeFirst()
        #expect(pending.first?.index == 2)
        pending.removeFirst()
        #expect(pending.first == nil)
    }
}

@Suite("Load generator: results")
struct BenchResultTests {
    static let result = BenchResult(
        connections: 2, cases: 8, pipeline: 2, duration: .seconds(1), elapsed: .milliseconds(1250), setup: .milliseconds(40),
        acknowledged: 5000, replies: [250: 5000, 450: 3], latency: LatencySummary(count: 5003, p50: 812, p99: 2301, p999: 4096, max: 12_500),
        failures: [ConnectionFailure(connection: 1, error: .connectionClosed)])

    @Test func textShowsThroughputPercentilesAndCounts() {
        #expect(BenchReport.text(Self.result) == """
            bench-loop: 2 connections, 8 cases, pipeline 2, 1.25 s (setup 0.04 s)
            changes     5000 acknowledged, 4000.0 changes/s
            latency     p50 0.812 ms  p99 2.301 ms  p99.9 4.096 ms  max 12.500 ms
            replies     250: 5000  450: 3
            error       connection 1: the server closed the connection

            """)
    }

    @Test func jsonHasStableKeysInAFixedOrder() {
        #expect(BenchReport.json(Self.result) == """
            {"connections":2,"cases":8,"pipeline":2,"duration_s":1.000,"elapsed_s":1.250,"setup_s":0.040,\
            "acknowledged":5000,"refused":3,"changes_per_s":4000.0,"p50_us":812,"p99_us":2301,"p999_us":4096,\
            "max_us":12500,"replies":{"250":5000,"450":3},"errors":["connection 1: the server closed the connection"]}

            """)
    }

    @Test func exitStatusSaysWhatWentWrong() {
        #expect(Self.result.exitStatus == 69, "a lost connection: unavailable")
        var refusedOnly = Self.result
        refusedOnly.failures = []
        #expect(refusedOnly.exitStatus == 1)
        refusedOnly.replies = [250: 5000]
        #expect(refusedOnly.exitStatus == 0 && refusedOnly.clean)
    }

    @Test func numbersAreFormattedWithoutFoundation() {
        #expect(BenchReport.milliseconds(0) == "0.000")
        #expect(BenchReport.milliseconds(1_234_567) == "1234.567")
        #expect(BenchReport.fixed(2.0 / 3.0, 3) == "0.667")
        #expect(BenchReport.fixed(12, 0) == "12")
        #expect(BenchReport.fixed(-0.05, 1) == "-0.1")
        #expect(BenchReport.quoted("a \"b\"\n") == #""a \"b\"\n""#)
    }

    @Test func outcomesMergeAcrossConnections() throws {
        var first = ConnectionOutcome()
        var second = ConnectionOutcome()
        for value in 1...99 { _ = first.latency.record(UInt64(value)) }
        _ = second.latency.record(10_000)
        first.acknowledged = 99
        first.replies = [250: 99]
        first.busy = .seconds(1)
        second.replies = [552: 1]
        second.busy = .seconds(2)
        second.failure = .timedOut
        let configuration = try BenchConfiguration(connections: 2, duration: .seconds(1))
        let merged = BenchResult(configuration, outcomes: [first, second], setup: .zero)
        #expect(merged.acknowledged == 99)
        #expect(merged.replies == [250: 99, 552: 1])
        #expect(merged.elapsed == .seconds(2), "the slowest connection ends the run")
        #expect(merged.changesPerSecond == 49.5)
        #expect(merged.latency.count == 100)
        #expect(merged.latency.p50 == 50)
        #expect(merged.latency.max == 10_000)
        #expect(merged.errors == ["connection 1: no reply from the server in time"])
    }
}

@Suite("Load generator against a scripted server")
struct LoadGeneratorTests {
    typealias Exchange = FakeControlServer.Exchange

    func target(_ server: FakeControlServer) -> BenchTarget {
        BenchTarget(endpoint: .unix(path: server.path), user: "alice", password: "pw", timeout: .seconds(5))
    }

    @Test func aUserWithoutTheLeadRoleIsToldWhatToAskFor() throws {
        let server = try FakeControlServer([
            Exchange("AUTH user=alice password=pw", reply: "250 OK user=alice roles=admin"),
            Exchange("QUIT", reply: "250 OK bye"),
        ])
        #expect {
            try LoadGenerator.prepare(target(server))
        } throws: { error in
            guard let failure = (error as? ClientError)?.failure else { return false }
            return failure.code == .forbidden && failure.text.contains("needs the template role lead")
                && failure.text.contains("atmpctl user roles alice --roles admin,lead")
        }
        server.finish()
    }

    @Test func aMissingTemplateIsPublishedByAnAdmin() throws {
        let server = try FakeControlServer([
            Exchange("AUTH user=alice password=pw", reply: "250 OK user=alice roles=admin,lead"),
            Exchange("TEMPLATE SHOW bench-loop", reply: "550 not-found no template bench-loop"),
            Exchange("+TEMPLATE PUT", reply: "250 OK template=bench-loop version=1 sha256=ab"),
            Exchange("QUIT", reply: "250 OK bye"),
        ])
        let preparation = try LoadGenerator.prepare(target(server))
        server.finish()
        #expect(preparation.published)
        #expect(server.mismatches.isEmpty, "\(server.requests)")
        #expect(server.requests.contains("template: bench-loop"))
    }

    @Test func aMissingTemplateWithoutAdminIsForbidden() throws {
        let server = try FakeControlServer([
            Exchange("AUTH user=alice password=pw", reply: "250 OK user=alice roles=lead"),
            Exchange("TEMPLATE SHOW bench-loop", reply: "550 not-found no template bench-loop"),
            Exchange("QUIT", reply: "250 OK bye"),
        ])
        #expect {
            try LoadGenerator.prepare(target(server))
        } throws: { error in
            (error as? ClientError)?.failure?.text.contains("publishing it needs the admin role") == true
        }
        server.finish()
    }

    /// Requests go out round-robin, a refusal is counted and the case retried
    /// from the same state, and the server hanging up ends the connection's
    /// run with the error reported next to what it did. (Pipeline 1: a
    /// scripted server that closes with a pipelined request unread makes the
    /// kernel reset the socket, which can swallow the last reply; pipelining
    /// itself is exercised against the real daemon in atmpctlTests.)
    @Test func aRunCountsRepliesByCodeAndReportsALostConnection() throws {
        let server = try FakeControlServer([
            Exchange("AUTH user=alice password=pw", reply: "250 OK user=alice roles=lead"),
            Exchange(#"CASE OPEN template=bench-loop title="bench case 1""#,
                     reply: "250-case id=C-000001 state=here version=1\n250 OK"),
            Exchange(#"CASE OPEN template=bench-loop title="bench case 2""#,
                     reply: "250-case id=C-000002 state=here version=1\n250 OK"),
            Exchange("CASE ADVANCE C-000001 forth", reply: "250-case id=C-000001 state=there version=2\n250 OK"),
            Exchange("CASE ADVANCE C-000002 forth", reply: "250-case id=C-000002 state=there version=2\n250 OK"),
            Exchange("CASE ADVANCE C-000001 back", reply: "451 storage-unavailable try again"),
            Exchange("CASE ADVANCE C-000002 back", reply: "250-case id=C-000002 state=here version=3\n250 OK"),
            Exchange("CASE ADVANCE C-000001 back", reply: "250-case id=C-000001 state=here version=3\n250 OK"),
        ])
        let configuration = try BenchConfiguration(connections: 1, duration: .seconds(5), cases: 2, pipeline: 1)
        let result = try LoadGenerator.run(configuration, target: target(server))
        server.finish()
        #expect(server.mismatches.isEmpty, "\(server.requests)")
        #expect(result.acknowledged == 4)
        #expect(result.replies == [250: 4, 451: 1])
        #expect(result.latency.count == 5)
        #expect(result.errors == ["connection 0: the server closed the connection"])
        #expect(result.exitStatus == 69)
        #expect(result.elapsed < .seconds(5), "a lost connection stops at once")
    }
}
