import AuditLog
import ControlProtocol
import Storage
import Testing
@testable import Daemon

@Suite struct UserCommandTests {
    @Test func addListChangeAndAudit() async throws {
        let f = try await ServiceFixture.make()
        let added = try await f.run("USER ADD alice roles=author,regulator password=\"p w\"", as: "root")
        #expect(added.code == .ok && added.status?["roles"] == "author,regulator")
        #expect(try await f.run("USER ADD alice roles=author password=x", as: "root").code == .versionConflict)
        #expect(try await f.run("USER ROLES alice roles=reviewer", as: "root").code == .ok)
        #expect(try await f.run("USER DISABLE alice", as: "root").status?["disabled"] == "true")
        #expect(try await f.run("USER ENABLE alice", as: "root").status?["disabled"] == "false")
        #expect(try await f.run("USER PASSWORD alice password=new", as: "root").code == .ok)

        let list = try await f.run("USER LIST", as: "root")
        let alice = try #require(list.records("user").first { $0["name"] == "alice" })
        #expect(alice["roles"] == "reviewer" && alice["disabled"] == "false")

        var session = f.session(nil)
        #expect(try await f.run("AUTH user=alice password=new", &session).code == .ok)

        let trail = try await f.store.trail(chain: "system", from: 1, limit: 100)
        #expect(trail.filter { $0.action == "user.added" }.count == 2)
        #expect(trail.filter { $0.action == "user.changed" && $0.actor == "root" }.count == 4)
        let text = trail.map { String(decoding: $0.canonicalJSON(includingHash: true), as: UTF8.self) }.joined()
        #expect(!text.contains("p w") && !text.contains("scrypt"))
    }

    @Test func passwordOnOneselfButNotOnOthers() async throws {
        let f = try await ServiceFixture.make()
        try await f.addUser("alice", roles: ["author"])
        try await f.addUser("bob", roles: ["author"])
        #expect(try await f.run("USER PASSWORD alice password=mine", as: "alice").code == .ok)
        #expect(try await f.run("USER PASSWORD bob password=theirs", as: "alice").code == .forbidden)
        var session = f.session(nil)
        #expect(try await f.run("AUTH user=alice password=mine", &session).code == .ok)
        let event = try #require(try await f.store.trail(chain: "system", from: 1, limit: 100).last { $0.action == "user.changed" })
        #expect(event.actor == "alice" && event.role == "user")
    }

    @Test(arguments: [
        "USER ADD Alice roles=author password=x",       // upper case
        "USER ADD system roles=author password=x",      // reserved
        "USER ADD a roles=Bad_Role password=x",         // bad role
        "USER ADD a roles=author, password=x",          // empty role
        "USER ADD a roles=author password=\"\"",        // empty password
        "USER ADD a roles=author",                      // missing password
        "USER ADD roles=author password=x",             // missing name
        "USER ADD a b roles=author password=x",         // too many
        "USER ADD a roles=author password=x colour=red", // unknown key
        "USER LIST extra",
    ])
    func badArguments(_ line: String) async throws {
        let f = try await ServiceFixture.make()
        let outcome = try await f.run(line, as: "root")
        #expect(outcome.code == .badArgument, "\(outcome.reply)")
    }

    @Test func unknownUserIsNotFound() async throws {
        let f = try await ServiceFixture.make()
        #expect(try await f.run("USER DISABLE ghost", as: "root").code == .notFound)
    }

    @Test func emptyRolesAllowed() async throws {
        let f = try await ServiceFixture.make()
        #expect(try await f.run("USER ADD nobody roles=\"\" password=x", as: "root").status?["roles"] == "")
    }
}
