import AuditLog
import CaseEngine
import ControlProtocol
import Storage
import Testing
@testable import Daemon

@Suite("Case cache")
struct CaseCacheTests {
    func stored(_ id: String, version: Int64) -> StoredCase {
        let at = Timestamp(seconds: 1_900_000_000)
        return StoredCase(
            case: Case(id: id, template: "t", templateVersion: 1, title: id, state: "s", stage: "w", attributes: [:],
                       version: version, head: AuditEvent.genesisPrev, opened: at, entered: at, enteredSeq: 1,
                       updated: at),
            overdueAt: nil, alarmAt: nil)
    }

    @Test func holdsAtMostItsCapacityAndEvictsTheOldestFirst() {
        let cache = CaseCache(capacity: 3)
        for n in 1...5 { cache.put(stored("C-\(n)", version: 1)) }
        #expect(cache.count == 3)
        #expect(cache.get("C-1") == nil && cache.get("C-2") == nil)
        #expect(cache.get("C-5")?.case.version == 1)
    }

    @Test func thePackedTierEvictsTheOldestFirstToo() {
        let cache = CaseCache(capacity: 3, recentCapacity: 0)
        for n in 1...5 { cache.put(stored("C-\(n)", version: 1)) }
        #expect(cache.count == 3)
        #expect(cache.get("C-1") == nil && cache.get("C-2") == nil)
        #expect(cache.get("C-3")?.case.version == 1)
    }

    /// Recent cases stay unpacked; older ones move to the packed tier and
    /// come back equal from there; together they stay within the capacity.
    @Test func recentCasesAreKeptUnpackedAndOlderOnesPacked() {
        let cache = CaseCache(capacity: 4, recentCapacity: 2)
        var originals: [StoredCase] = []
        for n in 1...6 {
            var c = stored("C-00000\(n)", version: Int64(n))
            c.case.attributes = ["n": "\(n) \"quoted\" ÅÄÖ"]
            c.overdueAt = Timestamp(seconds: 1_900_000_000 + Int64(n))
            originals.append(c)
            cache.put(c)
        }
        #expect(cache.count == 4)
        #expect(cache.get("C-000001") == nil && cache.get("C-000002") == nil)  // left the packed tier
        for c in originals[2...] { #expect(cache.get(c.case.id) == c) }
    }

    /// A case changed again while an older version sits in the packed tier:
    /// the newer one is what `get` answers, before and after it is packed too.
    @Test func theNewestVersionWinsAcrossTiers() {
        let cache = CaseCache(capacity: 10, recentCapacity: 1)
        cache.put(stored("C-1", version: 1))
        cache.put(stored("C-2", version: 1))           // C-1 v1 is packed
        cache.put(stored("C-1", version: 2))           // C-2 is packed, C-1 v2 recent
        #expect(cache.get("C-1")?.case.version == 2)
        cache.put(stored("C-3", version: 1))           // C-1 v2 packed over v1
        #expect(cache.get("C-1")?.case.version == 2)
        cache.put(stored("C-1", version: 1))           // older than the packed v2: ignored
        #expect(cache.get("C-1")?.case.version == 2)
        #expect(cache.count == 3)
        cache.remove("C-1")
        #expect(cache.get("C-1") == nil)
        #expect(cache.get("C-2")?.case.version == 1 && cache.get("C-3")?.case.version == 1)
    }

    @Test func anOlderVersionNeverReplacesANewerOne() {
        let cache = CaseCache(capacity: 10)
        cache.put(stored("C-1", version: 4))
        cache.put(stored("C-1", version: 3))
        #expect(cache.get("C-1")?.case.version == 4)
        cache.put(stored("C-1", version: 5))
        #expect(cache.get("C-1")?.case.version == 5)
        cache.remove("C-1")
        #expect(cache.get("C-1") == nil)
    }

    @Test func aCachedCaseComesBackEqual() {
        let cache = CaseCache(capacity: 10)
        var original = stored("C-000007", version: 3)
        original.case.attributes = ["sponsor": "Acme \"quoted\" ÅÄÖ"]
        original.overdueAt = Timestamp(seconds: 1_900_000_100)
        cache.put(original)
        #expect(cache.get("C-000007") == original)
    }

    @Test func capacityZeroCachesNothing() {
        let cache = CaseCache(capacity: 0)
        cache.put(stored("C-1", version: 1))
        #expect(cache.get("C-1") == nil && cache.count == 0)
    }

    /// Removing and caching the same cases again and again keeps the cache
    /// within its capacity and still finds the latest entries.
    @Test func churnStaysBounded() {
        let cache = CaseCache(capacity: 4)
        for round in 1...5_000 {
            let id = "C-\(round % 6)"
            cache.remove(id)
            cache.put(stored(id, version: Int64(round)))
            #expect(cache.count <= 4)
        }
        #expect(cache.get("C-2")?.case.version == 5_000)  // 5000 % 6 == 2
    }

    /// Two atmpd instances on one database: each caches what it committed, so
    /// each decides on a stale case once the other has changed it. The stale
    /// decision loses at commit, is decided again on the store's case, and lands.
    @Test func aSecondInstanceChangingACaseMakesTheCacheStaleButNothingWrong() async throws {
        let (f, second, id) = try await twoInstancesAndACase()
        defer { Task { await f.store.close() } }

        var other = f.session("alice")
        let noted = await second.handle(try RequestParser().parse("CASE NOTE \(id) text=elsewhere")!, data: nil, session: &other)
        #expect(noted.code == .ok)                       // version 2, unknown to the first instance's cache

        #expect(try await f.run("CASE NOTE \(id) text=here", as: "alice").code == .ok)
        #expect(try await f.store.loadCase(id: id)?.case.version == 3)

        // expect= names the store's version, not the stale cached one: accepted.
        let again = await second.handle(try RequestParser().parse("CASE NOTE \(id) text=x expect=3")!, data: nil,
                                        session: &other)
        #expect(again.code == .ok, "\(again.reply)")
        #expect(try await f.run("CASE NOTE \(id) text=y expect=4", as: "alice").code == .ok)
        // And a truly outdated expect= is still refused.
        #expect(try await f.run("CASE NOTE \(id) text=z expect=4", as: "alice").code == .versionConflict)

        let trail = try await f.store.trail(chain: id, from: 1, limit: 100)
        #expect(trail.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(try await f.run("AUDIT VERIFY \(id)", as: "root").code == .ok)
        await second.store.close()
    }
}

extension CaseCacheTests {
    /// Two instances on one PostgreSQL database, alice an author, and a trial
    /// case the first opened — so cached there at version 1.
    func twoInstancesAndACase() async throws -> (first: ServiceFixture, second: CommandService, id: String) {
        let f = try await ServiceFixture.make(.postgres)
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        let second = try await f.secondInstance()
        return (f, second, try await f.openTrialCase())
    }

    /// A refusal commits nothing, so no version guard catches a stale cache:
    /// a change refused on the cached case is decided again on the store's
    /// case when that has moved on. Here the other instance put the case on
    /// hold; on the stale cached case (not on hold) RESUME would be refused.
    @Test func aRefusalDecidedOnAStaleCaseIsCheckedAgainstTheStore() async throws {
        let (f, second, id) = try await twoInstancesAndACase()
        defer { Task { await f.store.close() } }
        var other = f.session("alice")
        let held = await second.handle(try RequestParser().parse("CASE HOLD \(id) reason=wait")!, data: nil, session: &other)
        #expect(held.code == .ok, "\(held.reply)")
        let resumed = try await f.run("CASE RESUME \(id) reason=go", as: "alice")
        #expect(resumed.code == .ok, "\(resumed.reply)")
        #expect(try await f.store.loadCase(id: id)?.case.version == 3)
        // A refusal that stands on the store's case too is still a refusal.
        #expect(try await f.run("CASE RESUME \(id) reason=again", as: "alice").code != .ok)
        await second.store.close()
    }
}

@Suite("Case cache and authorization")
struct CaseCacheAuthorizationTests {
    /// A change refused for lack of a role does not put the case in the cache;
    /// an allowed one does.
    @Test func onlyThoseWhoMayChangeACaseWarmTheCache() async throws {
        let f = try await ServiceFixture.make(configure: { $0.caseCacheCapacity = 10 })
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        try await f.addUser("olga", roles: ["outsider"])
        try await f.addUser("reg", roles: ["regulator"])
        let id = try await f.openTrialCase()
        // A fresh service on the same database: nothing cached yet.
        let second = try await f.secondInstance()
        var olga = f.session("olga")
        var reg = f.session("reg")
        var alice = f.session("alice")
        let note = { (text: String) in try RequestParser().parse("CASE NOTE \(id) text=\(text)")! }
        #expect(await second.handle(try note("a"), data: nil, session: &olga).code == .notFound)
        #expect(await second.handle(try note("b"), data: nil, session: &reg).code == .forbidden)
        #expect(second.caseCache.count == 0)
        #expect(await second.handle(try note("c"), data: nil, session: &alice).code == .ok)
        #expect(second.caseCache.count == 1)
        await second.store.close()
    }
}
