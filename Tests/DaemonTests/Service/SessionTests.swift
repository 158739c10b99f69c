import AuditLog
import ControlProtocol
import Storage
import Testing
@testable import Daemon

@Suite struct SessionTests {
    @Test func helloNamesServerProtocolAndAuthMethods() async throws {
        let f = try await ServiceFixture.make { $0.peerAuthentication = true }
        var tcp = f.session(nil)
        let overTCP = try await f.run("HELLO", &tcp)
        #expect(overTCP.records("server").first?["name"] == "atmpd")
        #expect(overTCP.records("protocol").first?["version"] == "1")
        #expect(overTCP.records("auth").first?["methods"] == "password")
        var unix = Session(id: 2, transport: .unix(peerUID: 1000, peerUser: "root"))
        #expect(try await f.run("HELLO", &unix).records("auth").first?["methods"] == "password,peer")
    }

    @Test func pingAndQuit() async throws {
        let f = try await ServiceFixture.make()
        var session = f.session(nil)
        #expect(try await f.run("PING", &session).status?.words == ["pong"])
        let quit = try await f.run("QUIT", &session)
        #expect(quit.close && quit.status?.words == ["bye"])
    }

    @Test func authSignsInWithRolesAndRefusesASecondAuth() async throws {
        let f = try await ServiceFixture.make()
        try await f.addUser("alice", roles: ["author", "reviewer"])
        var session = f.session(nil)
        #expect(try await f.run("CASE LIST", &session).code == .authRequired)
        let ok = try await f.run("AUTH user=alice password=\"correct horse\"", &session)
        #expect(ok.code == .ok)
        #expect(ok.status?["user"] == "alice" && ok.status?["roles"] == "author,reviewer")
        #expect(session.user == "alice" && session.roles == ["author", "reviewer"])
        #expect(try await f.run("CASE LIST", &session).code == .ok)
        #expect(try await f.run("AUTH user=alice password=\"correct horse\"", &session).code == .badSequence)
    }

    @Test func failuresAreAuditedSlowedDownAndCutOff() async throws {
        let f = try await ServiceFixture.make { $0.maxAuthFailures = 3 }
        try await f.addUser("alice", roles: ["author"])
        var session = f.session(nil)
        let first = try await f.run("AUTH user=alice password=hunter2", &session)
        #expect(first.code == .authFailed && first.delay == .milliseconds(100) && !first.close)
        let second = try await f.run("AUTH user=ghost password=hunter2", &session)
        #expect(second.code == .authFailed && second.delay == .milliseconds(200) && !second.close)
        // Same text whether or not the user exists.
        #expect(first.reply.error?.message == second.reply.error?.message)
        let third = try await f.run("AUTH user=alice password=hunter2", &session)
        #expect(third.code == .authFailed && third.delay == .milliseconds(400) && third.close)
        #expect(session.user == nil && session.authFailures == 3)

        let trail = try await f.store.trail(chain: "system", from: 1, limit: 100)
        let failed = trail.filter { $0.action == "auth.failed" }
        #expect(failed.count == 3)
        #expect(failed.map { $0.data["user"] } == [.string("alice"), .string("ghost"), .string("alice")])
        // The password never reaches the trail.
        #expect(!trail.contains { String(decoding: $0.canonicalJSON(includingHash: true), as: UTF8.self).contains("hunter2") })
    }

    /// A guesser on many connections: past the per-user limit the password is
    /// not checked, even a right one, until the window has passed; other users
    /// are not affected; a success clears the count.
    @Test func failuresPerUserAcrossConnectionsLockThatUserForAWhile() async throws {
        let f = try await ServiceFixture.make {
            $0.maxAuthFailuresPerUser = 3
            $0.authFailureWindow = .seconds(600)
        }
        try await f.addUser("alice", roles: ["author"])
        try await f.addUser("bob", roles: ["author"])

        // A success clears earlier failures: two, a success, two more — not locked.
        for _ in 0..<2 {
            var guesser = f.session(nil)
            #expect(try await f.run("AUTH user=alice password=guess", &guesser).code == .authFailed)
        }
        var early = f.session(nil)
        #expect(try await f.run("AUTH user=alice password=\"correct horse\"", &early).code == .ok)

        // Three failures, each on a connection of its own.
        for _ in 0..<3 {
            var guesser = f.session(nil)
            #expect(try await f.run("AUTH user=alice password=guess", &guesser).code == .authFailed)
        }
        var owner = f.session(nil)
        let locked = try await f.run("AUTH user=alice password=\"correct horse\"", &owner)
        #expect(locked.code == .authFailed && owner.user == nil)
        #expect(locked.reply.error?.message == "authentication failed")  // says nothing more
        // Unknown names are locked the same way, so the lock does not tell them apart.
        for _ in 0..<3 {
            var guesser = f.session(nil)
            _ = try await f.run("AUTH user=ghost password=guess", &guesser)
        }
        var probe = f.session(nil)
        #expect(try await f.run("AUTH user=ghost password=guess", &probe).reply.error?.message == locked.reply.error?.message)

        var other = f.session(nil)
        #expect(try await f.run("AUTH user=bob password=\"correct horse\"", &other).code == .ok)

        // The refused attempts are in the trail, with their reason.
        let trail = try await f.store.trail(chain: "system", from: 1, limit: 100)
        #expect(trail.contains { $0.action == "auth.failed" && $0.data["reason"] == .string("too many recent failures for this user") })

        // Locked attempts count too: the lock lasts while the guessing goes on,
        // and ends a window after the last failure.
        f.clock.advance(seconds: 599)
        var stillLocked = f.session(nil)
        #expect(try await f.run("AUTH user=alice password=\"correct horse\"", &stillLocked).code == .authFailed)
        f.clock.advance(seconds: 601)
        var later = f.session(nil)
        #expect(try await f.run("AUTH user=alice password=\"correct horse\"", &later).code == .ok)
    }

    @Test func theThrottleForgetsOldNamesFirstAndStaysWithinItsCapacity() {
        var throttle = SignInThrottle(limit: 2, window: .seconds(60), capacity: 3)
        let t0 = Timestamp(seconds: 1_900_000_000)
        for (n, name) in ["a", "b", "c"].enumerated() { throttle.failed(name, now: t0.adding(seconds: Int64(n))) }
        throttle.failed("b", now: t0.adding(seconds: 3))
        #expect(!throttle.mayTry("b", now: t0.adding(seconds: 4)))
        #expect(throttle.trackedNames == 3)
        // A fourth name is one too many: the names whose last failure is
        // oldest go (a and c), down to a tenth below capacity (at least one).
        throttle.failed("d", now: t0.adding(seconds: 5))
        #expect(throttle.trackedNames == 2)
        #expect(!throttle.mayTry("b", now: t0.adding(seconds: 6)))  // kept: its last failure is recent
        throttle.failed("a", now: t0.adding(seconds: 7))
        throttle.failed("a", now: t0.adding(seconds: 8))
        #expect(!throttle.mayTry("a", now: t0.adding(seconds: 8)))  // counted afresh since it was forgotten
        // Names whose failures have all aged out are dropped first; a spray
        // of new names never holds more than the capacity.
        for n in 0..<100 {
            throttle.failed("spray-\(n)", now: t0.adding(seconds: 1_000 + Int64(n)))
            #expect(throttle.trackedNames <= 3)
        }
        #expect(throttle.mayTry("a", now: t0.adding(seconds: 2_000)))
        // A window later, a name's failures no longer count.
        var aging = SignInThrottle(limit: 2, window: .seconds(60))
        aging.failed("x", now: t0)
        aging.failed("x", now: t0.adding(seconds: 30))
        #expect(!aging.mayTry("x", now: t0.adding(seconds: 59)))
        #expect(aging.mayTry("x", now: t0.adding(seconds: 60)))  // the first has aged out
    }

    @Test func delayGrowsAndIsCapped() {
        #expect(CommandService.authDelay(failures: 1) == .milliseconds(100))
        #expect(CommandService.authDelay(failures: 4) == .milliseconds(800))
        #expect(CommandService.authDelay(failures: 5) == .milliseconds(1_600))
        #expect(CommandService.authDelay(failures: 6) == .seconds(2))
        #expect(CommandService.authDelay(failures: 60) == .seconds(2))
    }

    @Test func disabledUserCannotSignInAndIsSignedOutAtNextCommand() async throws {
        let f = try await ServiceFixture.make()
        try await f.addUser("alice", roles: ["author"])
        var session = f.session(nil)
        #expect(try await f.run("AUTH user=alice password=\"correct horse\"", &session).code == .ok)
        session.watch = .caseID("C-000001")
        #expect(try await f.run("USER DISABLE alice", as: "root").code == .ok)
        #expect(try await f.run("CASE LIST", &session).code == .authRequired)
        #expect(session.user == nil && session.watch == nil)
        let again = try await f.run("AUTH user=alice password=\"correct horse\"", &session)
        #expect(again.code == .authFailed)
        let last = try #require(try await f.store.trail(chain: "system", from: 1, limit: 100).last)
        #expect(last.action == "auth.failed" && last.data["reason"] == .string("user disabled"))
    }

    @Test func roleChangeTakesEffectAtNextCommand() async throws {
        let f = try await ServiceFixture.make()
        try await f.addUser("alice", roles: [])
        var session = f.session("alice")
        #expect(try await f.run("USER LIST", &session).code == .forbidden)
        #expect(try await f.run("USER ROLES alice roles=admin", as: "root").code == .ok)
        #expect(try await f.run("USER LIST", &session).code == .ok)
        #expect(session.roles == ["admin"])
    }

    @Test func peerAuthenticationOnlyWhenConfiguredOnUnixForEnabledUsers() async throws {
        let off = try await ServiceFixture.make()
        var a = Session(id: 1, transport: .unix(peerUID: 0, peerUser: "root"))
        #expect(await off.service.authenticatePeer(session: &a) == false && a.user == nil)

        let f = try await ServiceFixture.make { $0.peerAuthentication = true }
        var unix = Session(id: 1, transport: .unix(peerUID: 0, peerUser: "root"))
        #expect(await f.service.authenticatePeer(session: &unix) && unix.user == "root" && unix.roles == ["admin"])
        var tcp = Session(id: 2, transport: .tcp(peer: "10.0.0.1:5"))
        #expect(await f.service.authenticatePeer(session: &tcp) == false)
        var stranger = Session(id: 3, transport: .unix(peerUID: 7, peerUser: "nobody"))
        #expect(await f.service.authenticatePeer(session: &stranger) == false)
        try await f.addUser("dis", roles: [])
        #expect(try await f.run("USER DISABLE dis", as: "root").code == .ok)
        var disabled = Session(id: 4, transport: .unix(peerUID: 8, peerUser: "dis"))
        #expect(await f.service.authenticatePeer(session: &disabled) == false)
    }

    @Test func passwordsAreRedactedInLogs() throws {
        let request = try #require(try RequestParser().parse("CASE SIGN C-1 go meaning=approved password=\"s3cret x\""))
        let text = CommandService.redacted(request)
        #expect(!text.contains("s3cret") && text.contains("password=***") && text.contains("meaning=approved"))
    }
}
