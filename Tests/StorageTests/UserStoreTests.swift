import AuditLog
import Testing
@testable import Storage

@Suite("Users in the store")
struct UserStoreTests {
    @Test(arguments: Backend.allCases)
    func addChangeAndAudit(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)
        defer { Task { await db.store.close() } }
        let at = Timestamp(seconds: 1_800_000_000)
        let hash = PasswordHash.make(password: "s3cret", cost: .testOnly)
        let added = try await db.store.addUser(
            StoredUser(name: "alice", roles: ["project-lead", "qa"], passwordHash: hash), by: "root", role: "admin", at: at)
        #expect(added.action == "user.added")
        #expect(added.data["roles"] == .array(["project-lead", "qa"]))
        #expect(added.data["password"] == nil)

        await #expect(throws: StoreError.self) {
            _ = try await db.store.addUser(StoredUser(name: "alice", roles: [], passwordHash: hash), by: "root", role: "admin", at: at)
        }

        let changed = try await db.store.changeUser(
            named: "alice", UserChange(roles: ["qa"], passwordHash: PasswordHash.make(password: "n3w", cost: .testOnly), disabled: true),
            by: "root", role: "admin", at: at)
        #expect(changed.roles == ["qa"] && changed.disabled)
        let stored = try #require(try await db.store.user(named: "alice"))
        #expect(PasswordHash.verify(password: "n3w", against: stored.passwordHash))
        #expect(!PasswordHash.verify(password: "s3cret", against: stored.passwordHash))

        let trail = try await db.store.trail(chain: "system", from: 1, limit: 10)
        let change = try #require(trail.last)
        #expect(change.action == "user.changed")
        let changes = try #require(change.data["changes"]?.objectValue)
        #expect(changes["roles"] == ["old": ["project-lead", "qa"], "new": ["qa"]])
        #expect(changes["disabled"] == ["old": false, "new": true])
        #expect(changes["password"] == ["changed": true])
        // The hash itself never enters the trail.
        #expect(!String(decoding: change.canonicalJSON(includingHash: true), as: UTF8.self).contains("scrypt"))

        // A change that changes nothing writes nothing.
        _ = try await db.store.changeUser(named: "alice", UserChange(roles: ["qa"]), by: "root", role: "admin", at: at)
        #expect(try await db.store.trail(chain: "system", from: 1, limit: 10).count == trail.count)

        await #expect(throws: StoreError.self) {
            _ = try await db.store.changeUser(named: "bob", UserChange(disabled: true), by: "root", role: "admin", at: at)
        }
        #expect(try await db.store.users().map(\.name) == ["alice"])
    }

    @Test(arguments: Backend.allCases)
    func authFailuresAreAuditedAndTimeNeverRunsBackwards(_ backend: Backend) async throws {
        let db = try await TestDatabase.make(backend)
        defer { Task { await db.store.close() } }
        let first = try await db.store.recordAuthFailure(user: "mallory", reason: "bad password", peer: "uid=1000",
                                                          at: Timestamp(seconds: 2_000))
        // The wall clock stepped back: the chain still moves forward.
        let second = try await db.store.recordAuthFailure(user: "mallory", reason: "bad password", peer: nil,
                                                           at: Timestamp(seconds: 1_000))
        #expect(first.action == "auth.failed" && first.actor == "system")
        #expect(second.at >= first.at)
        #expect(second.data["peer"] == .null)
        #expect(try await db.store.verify(chain: "system").isIntact)
    }
}

@Suite("Password hashes")
struct PasswordHashTests {
    @Test func verifiesOnlyTheRightPassword() {
        let hash = PasswordHash.make(password: "correct horse", cost: .testOnly)
        #expect(hash.hasPrefix("scrypt$4$1$1$"))
        #expect(PasswordHash.verify(password: "correct horse", against: hash))
        #expect(!PasswordHash.verify(password: "correct horse ", against: hash))
        #expect(!PasswordHash.verify(password: "", against: hash))
        // Same password, new salt: different hash.
        #expect(PasswordHash.make(password: "correct horse", cost: .testOnly) != hash)
    }

    @Test(arguments: ["", "scrypt", "scrypt$4$1$1$zz$00", "md5$abc", "scrypt$99$1$1$00$00",
                      "scrypt$4$1$1$0011$" + String(repeating: "0", count: 63)])
    func malformedHashesNeverMatch(_ stored: String) {
        #expect(!PasswordHash.verify(password: "anything", against: stored))
    }
}
