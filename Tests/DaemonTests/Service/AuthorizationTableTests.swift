import AuditLog
import ControlProtocol
import Testing
@testable import Daemon

/// Every command × every kind of principal, over a real store: the
/// authorization table as users meet it.
@Suite struct AuthorizationTableTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case unauthenticated, plain, holder, otherHolder, regulator, admin, disabled
        var testDescription: String { rawValue }
        /// The user each kind signs in as (nil: not signed in).
        var user: String? {
            switch self {
            case .unauthenticated: nil
            case .plain: "plain"
            case .holder: "alice"
            case .otherHolder: "olga"
            case .regulator: "reg"
            case .admin: "root"
            case .disabled: "dis"
            }
        }
    }

    enum Expect: Equatable { case allowed, denied(ReplyCode) }

    /// Who may run it, as a function of the kind of principal.
    enum Rule: Sendable {
        case anyone, signedIn, admin, openCase, changeCase, readCase, readSystem, watchTemplate
        /// The same, for the case and template of `other`, whose only role holder is `otherHolder`.
        case openOtherCase, changeOtherCase, readOtherCase, watchOtherTemplate

        func expect(_ kind: Kind) -> Expect {
            if self == .anyone { return .allowed }
            if kind == .unauthenticated || kind == .disabled { return .denied(.authRequired) }
            switch self {
            case .anyone, .signedIn: return .allowed
            case .admin: return kind == .admin ? .allowed : .denied(.forbidden)
            case .openCase: return kind == .holder ? .allowed : .denied(.forbidden)
            case .changeCase:
                switch kind {
                case .holder: return .allowed
                case .regulator, .admin: return .denied(.forbidden)
                default: return .denied(.notFound)
                }
            case .readCase: return [.holder, .regulator, .admin].contains(kind) ? .allowed : .denied(.notFound)
            case .readSystem: return [.regulator, .admin].contains(kind) ? .allowed : .denied(.forbidden)
            case .watchTemplate: return [.holder, .regulator, .admin].contains(kind) ? .allowed : .denied(.forbidden)
            case .openOtherCase: return kind == .otherHolder ? .allowed : .denied(.forbidden)
            case .changeOtherCase:
                switch kind {
                case .otherHolder: return .allowed
                case .regulator, .admin: return .denied(.forbidden)
                default: return .denied(.notFound)
                }
            case .readOtherCase: return [.otherHolder, .regulator, .admin].contains(kind) ? .allowed : .denied(.notFound)
            case .watchOtherTemplate:
                return [.otherHolder, .regulator, .admin].contains(kind) ? .allowed : .denied(.forbidden)
            }
        }
    }

    /// What a row's request line may name: the signed-in user, the two cases, a unique number.
    struct Context: Sendable {
        var user: String
        /// A case of template `trial` (roles author, reviewer: `holder` holds them).
        var trial: String
        /// A case of template `other` (role outsider: `otherHolder` holds it).
        var other: String
        var n: Int
    }

    struct Row: Sendable {
        var line: @Sendable (Context) -> String
        var data: String?
        var rule: Rule
        init(_ line: @escaping @Sendable (Context) -> String, data: String? = nil, _ rule: Rule) {
            self.line = line; self.data = data; self.rule = rule
        }
        init(_ line: String, data: String? = nil, _ rule: Rule) {
            self.init({ _ in line }, data: data, rule)
        }
    }

    static let rows: [Row] = [
        Row("HELLO", .anyone), Row("PING", .anyone), Row("QUIT", .anyone),
        Row("AUTH user=nobody password=x", .anyone),
        Row({ c in "USER ADD new\(c.n) roles=author password=pw" }, .admin),
        Row("USER LIST", .admin),
        Row("USER ROLES victim roles=author", .admin),
        Row("USER DISABLE victim", .admin),
        Row("USER ENABLE victim", .admin),
        Row("USER PASSWORD victim password=pw", .admin),
        Row({ c in "USER PASSWORD \(c.user == "" ? "nobody" : c.user) password=\"correct horse\"" }, .signedIn),
        Row("+TEMPLATE PUT", data: otherTemplate, .admin),
        Row("+TEMPLATE CHECK", data: otherTemplate, .signedIn),
        Row("TEMPLATE LIST", .signedIn),
        Row("TEMPLATE SHOW trial", .signedIn),
        Row("TEMPLATE GRAPH trial format=mermaid", .signedIn),
        Row("CASE OPEN template=trial title=T attr.sponsor=Acme", .openCase),
        Row("CASE OPEN template=other title=O", .openOtherCase),
        Row({ c in "CASE ADVANCE \(c.trial) submit" }, .changeCase),
        Row({ c in "CASE ATTACH \(c.trial) document=protocol sha256=\(hexA)" }, .changeCase),
        Row({ c in "CASE SIGN \(c.trial) submit meaning=reviewed password=\"correct horse\"" }, .changeCase),
        Row({ c in "CASE HOLD \(c.trial) reason=wait" }, .changeCase),
        Row({ c in "CASE RESUME \(c.trial) reason=go" }, .changeCase),
        Row({ c in "CASE NOTE \(c.trial) text=hello" }, .changeCase),
        Row({ c in "CASE SET \(c.trial) attr.phase=two reason=why" }, .changeCase),
        Row({ c in "CASE ADVANCE \(c.other) finish" }, .changeOtherCase),
        Row({ c in "CASE ATTACH \(c.other) document=memo sha256=\(hexA)" }, .changeOtherCase),
        Row({ c in "CASE SIGN \(c.other) finish meaning=reviewed password=\"correct horse\"" }, .changeOtherCase),
        Row({ c in "CASE HOLD \(c.other) reason=wait" }, .changeOtherCase),
        Row({ c in "CASE RESUME \(c.other) reason=go" }, .changeOtherCase),
        Row({ c in "CASE NOTE \(c.other) text=hello" }, .changeOtherCase),
        Row({ c in "CASE SET \(c.other) attr.phase=two reason=why" }, .changeOtherCase),
        Row({ c in "CASE SHOW \(c.trial)" }, .readCase),
        Row({ c in "CASE SHOW \(c.other)" }, .readOtherCase),
        Row("CASE LIST", .signedIn),
        Row("CASE LIST template=trial", .signedIn),
        Row({ c in "AUDIT TRAIL \(c.trial)" }, .readCase),
        Row({ c in "AUDIT TRAIL \(c.other)" }, .readOtherCase),
        Row("AUDIT TRAIL system", .readSystem),
        Row({ c in "AUDIT VERIFY \(c.trial)" }, .readCase),
        Row({ c in "AUDIT VERIFY \(c.other)" }, .readOtherCase),
        Row("AUDIT VERIFY system", .readSystem),
        Row("AUDIT VERIFY", .readSystem),
        Row({ c in "AUDIT EXPORT CASE \(c.trial)" }, .readCase),
        Row({ c in "AUDIT EXPORT CASE \(c.other)" }, .readOtherCase),
        Row("WATCH", .readSystem),
        Row("WATCH all", .readSystem),
        Row({ c in "WATCH case=\(c.trial)" }, .readCase),
        Row({ c in "WATCH case=\(c.other)" }, .readOtherCase),
        Row("WATCH template=trial", .watchTemplate),
        Row("WATCH template=other", .watchOtherTemplate),
        Row("UNWATCH", .signedIn),
        Row("STATS", .admin),
    ]

    /// The users of every test here, each kind's roles; `victim` is what admin rows act on.
    static func addUsers(_ f: ServiceFixture) async throws {
        try await f.addUser("plain", roles: [])
        try await f.addUser("alice", roles: ["author", "reviewer"])
        try await f.addUser("olga", roles: ["outsider"])
        try await f.addUser("reg", roles: ["regulator"])
        try await f.addUser("dis", roles: ["author", "reviewer"])
        try await f.addUser("victim", roles: [])
    }

    /// One case of each template.
    static func openCases(_ f: ServiceFixture) async throws -> (trial: String, other: String) {
        let trial = try await f.openTrialCase()
        let other = try #require(
            try await f.run("CASE OPEN template=other title=O", as: "olga").records("case").first?["id"])
        return (trial, other)
    }

    @Test(arguments: Backend.allCases)
    func everyCommandForEveryPrincipal(_ backend: Backend) async throws {
        let f = try await ServiceFixture.make(backend)
        try await f.publishTemplates()
        try await Self.addUsers(f)
        let cases = try await Self.openCases(f)
        #expect(try await f.run("USER DISABLE dis", as: "root").code == .ok)

        // Every command of the table has a row.
        let covered = Set(Self.rows.map { row in
            (try? RequestParser().parse(row.line(Context(user: "x", trial: "C-1", other: "C-2", n: 0))))??.command ?? "?"
        })
        #expect(covered == Set(CommandTable.specs.keys))

        var n = 0
        for row in Self.rows {
            for kind in Kind.allCases {
                n += 1
                let line = row.line(Context(user: kind.user ?? "", trial: cases.trial, other: cases.other, n: n))
                var session = f.session(kind.user)
                let outcome = try await f.run(line, data: row.data, &session)
                let code = outcome.code
                switch row.rule.expect(kind) {
                case .allowed:
                    #expect(![ReplyCode.authRequired, .forbidden, .notFound].contains(code),
                            "\(line) as \(kind): \(outcome.reply)")
                case .denied(let expected):
                    #expect(code == expected, "\(line) as \(kind): \(outcome.reply)")
                }
            }
        }
    }

    /// A user sees only cases of templates where they hold a role (admin and
    /// regulator see all): in CASE LIST, and in what CASE SHOW, AUDIT TRAIL and
    /// WATCH case= accept, which the table above checks one case at a time.
    @Test(arguments: Backend.allCases)
    func eachKindListsExactlyTheCasesItMayRead(_ backend: Backend) async throws {
        let f = try await ServiceFixture.make(backend)
        try await f.publishTemplates()
        try await Self.addUsers(f)
        let cases = try await Self.openCases(f)
        let expected: [Kind: Set<String>] = [
            .plain: [], .holder: [cases.trial], .otherHolder: [cases.other],
            .regulator: [cases.trial, cases.other], .admin: [cases.trial, cases.other],
        ]
        for (kind, visible) in expected {
            let user = try #require(kind.user)
            let listed = try await f.run("CASE LIST", as: user)
            #expect(Set(listed.records("case").compactMap { $0["id"] }) == visible, "\(kind)")
            #expect(listed.status?["count"] == String(visible.count), "\(kind)")
            // A filter naming a template the user holds no role of lists nothing, rather than leaking.
            for template in ["trial", "other"] {
                let filtered = try await f.run("CASE LIST template=\(template)", as: user)
                let want = visible.filter { $0 == (template == "trial" ? cases.trial : cases.other) }
                #expect(Set(filtered.records("case").compactMap { $0["id"] }) == want, "\(kind) template=\(template)")
            }
            for id in [cases.trial, cases.other] {
                let readable = visible.contains(id)
                for line in ["CASE SHOW \(id)", "AUDIT TRAIL \(id)", "AUDIT VERIFY \(id)", "AUDIT EXPORT CASE \(id)", "WATCH case=\(id)"] {
                    let code = try await f.run(line, as: user).code
                    #expect(readable ? code == .ok : code == .notFound, "\(line) as \(kind): \(code)")
                }
            }
        }
    }

    /// Regulators can never change anything: every command of the table, run
    /// as a regulator, leaves every audit chain, user and template as it was.
    /// The one exception is USER PASSWORD on oneself (account upkeep, not the
    /// regulated record), checked apart: it touches only the regulator's own
    /// password. (AUTH is left out: a failed sign-in is audited whoever tries.)
    @Test(arguments: Backend.allCases)
    func aRegulatorChangesNothing(_ backend: Backend) async throws {
        let f = try await ServiceFixture.make(backend)
        try await f.publishTemplates()
        try await Self.addUsers(f)
        let cases = try await Self.openCases(f)
        #expect(try await f.run("CASE NOTE \(cases.trial) text=before", as: "alice").code == .ok)

        @Sendable func snapshot() async throws -> [String] {
            var state: [String] = []
            for chain in ["system", cases.trial, cases.other] {
                let head = try await f.store.chainHead(chain)
                state.append("\(chain) \(head?.seq ?? 0) \(head?.hash ?? "-")")
            }
            for line in ["USER LIST", "TEMPLATE LIST", "CASE LIST", "AUDIT VERIFY"] {
                state.append("\(try await f.run(line, as: "root").reply)")
            }
            return state
        }
        let before = try await snapshot()
        var session = f.session("reg")
        var n = 0
        // Not run here: AUTH (a failed sign-in is audited as auth.failed, for the user it names) and the own password.
        let exempt = ["AUTH", "USER PASSWORD reg"]
        for row in Self.rows {
            let probe = row.line(Context(user: "reg", trial: "", other: "", n: 0))
            if exempt.contains(where: { probe.hasPrefix($0) }) { continue }
            n += 1
            let line = row.line(Context(user: "reg", trial: cases.trial, other: cases.other, n: n))
            let outcome = try await f.run(line, data: row.data, &session)
            #expect(!(200..<300).contains(outcome.code.rawValue) || Self.readOnly(line), "\(line): \(outcome.reply)")
            if line.hasPrefix("QUIT") { session = f.session("reg") }
        }
        #expect(try await snapshot() == before)

        let password = try await f.run("USER PASSWORD reg password=\"new horse\"", as: "reg")
        #expect(password.code == .ok)
        let after = try await snapshot()
        // The system chain's head and the event count of AUDIT VERIFY (first and last) move; nothing else.
        #expect(Array(after.dropFirst().dropLast()) == Array(before.dropFirst().dropLast()), "only the system chain may change")
        let trail = try await f.run("AUDIT TRAIL system", as: "root").reply.records.first?.data ?? ""
        let last = try #require(trail.split(separator: "\n").last.map { try AuditEvent(jsonLine: Array($0.utf8)) })
        #expect(last.actor == "reg" && last.action.hasPrefix("user.") && "\(last.data)".contains("reg"), "\(last)")
    }

    /// Commands that read or only shape the session: a regulator may succeed at these.
    static func readOnly(_ line: String) -> Bool {
        let readers = ["HELLO", "PING", "QUIT", "AUTH", "TEMPLATE CHECK", "TEMPLATE LIST", "TEMPLATE SHOW",
                       "TEMPLATE GRAPH", "CASE SHOW", "CASE LIST", "AUDIT TRAIL", "AUDIT VERIFY", "AUDIT EXPORT", "WATCH", "UNWATCH"]
        return readers.contains { line.hasPrefix($0) || line.hasPrefix("+" + $0) }
    }
}

/// Segregation of duties: the regulator role forbids changing cases even to
/// a user who also holds the template's roles.
@Suite("Regulators holding template roles")
struct RegulatorWithTemplateRoleTests {
    @Test func aRegulatorWhoAlsoHoldsTheTemplateRolesChangesNothing() async throws {
        let f = try await ServiceFixture.make()
        try await f.publishTemplates()
        try await f.addUser("alice", roles: ["author"])
        try await f.addUser("both", roles: ["regulator", "author", "reviewer"])
        let id = try await f.openTrialCase()
        let before = try await f.store.loadCase(id: id)
        for line in [
            "CASE OPEN template=trial title=T attr.sponsor=Acme", "CASE NOTE \(id) text=x",
            "CASE SET \(id) attr.phase=two reason=r", "CASE HOLD \(id) reason=r",
            "CASE ATTACH \(id) document=protocol sha256=\(hexA)",
        ] {
            let outcome = try await f.run(line, as: "both")
            #expect(outcome.code == .forbidden, "\(line): \(outcome.reply.error?.description ?? "")")
        }
        // Reading is still theirs.
        #expect(try await f.run("CASE SHOW \(id)", as: "both").code == .ok)
        #expect(try await f.run("AUDIT VERIFY \(id)", as: "both").code == .ok)
        #expect(try await f.store.loadCase(id: id) == before)
    }
}
