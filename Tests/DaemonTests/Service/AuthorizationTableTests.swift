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
            }
        }
    }

    struct Row: Sendable {
        var line: @Sendable (_ user: String, _ caseID: String, _ n: Int) -> String
        var data: String?
        var rule: Rule
        init(_ line: @escaping @Sendable (String, String, Int) -> String, data: String? = nil, _ rule: Rule) {
            self.line = line; self.data = data; self.rule = rule
        }
        init(_ line: String, data: String? = nil, _ rule: Rule) {
            self.init({ _, _, _ in line }, data: data, rule)
        }
    }

    static let rows: [Row] = [
        Row("HELLO", .anyone), Row("PING", .anyone), Row("QUIT", .anyone),
        Row("AUTH user=nobody password=x", .anyone),
        Row({ _, _, n in "USER ADD new\(n) roles=author password=pw" }, .admin),
        Row("USER LIST", .admin),
        Row("USER ROLES victim roles=author", .admin),
        Row("USER DISABLE victim", .admin),
        Row("USER ENABLE victim", .admin),
        Row("USER PASSWORD victim password=pw", .admin),
        Row({ user, _, _ in "USER PASSWORD \(user == "" ? "nobody" : user) password=\"correct horse\"" }, .signedIn),
        Row("+TEMPLATE PUT", data: otherTemplate, .admin),
        Row("+TEMPLATE CHECK", data: otherTemplate, .signedIn),
        Row("TEMPLATE LIST", .signedIn),
        Row("TEMPLATE SHOW trial", .signedIn),
        Row("TEMPLATE GRAPH trial format=mermaid", .signedIn),
        Row("CASE OPEN template=trial title=T attr.sponsor=Acme", .openCase),
        Row({ _, id, _ in "CASE ADVANCE \(id) submit" }, .changeCase),
        Row({ _, id, _ in "CASE ATTACH \(id) document=protocol sha256=\(hexA)" }, .changeCase),
        Row({ _, id, _ in "CASE SIGN \(id) submit meaning=reviewed password=\"correct horse\"" }, .changeCase),
        Row({ _, id, _ in "CASE HOLD \(id) reason=wait" }, .changeCase),
        Row({ _, id, _ in "CASE RESUME \(id) reason=go" }, .changeCase),
        Row({ _, id, _ in "CASE NOTE \(id) text=hello" }, .changeCase),
        Row({ _, id, _ in "CASE SET \(id) attr.phase=two reason=why" }, .changeCase),
        Row({ _, id, _ in "CASE SHOW \(id)" }, .readCase),
        Row("CASE LIST", .signedIn),
        Row({ _, id, _ in "AUDIT TRAIL \(id)" }, .readCase),
        Row("AUDIT TRAIL system", .readSystem),
        Row({ _, id, _ in "AUDIT VERIFY \(id)" }, .readCase),
        Row("AUDIT VERIFY system", .readSystem),
        Row("AUDIT VERIFY", .readSystem),
        Row("WATCH", .readSystem),
        Row("WATCH all", .readSystem),
        Row({ _, id, _ in "WATCH case=\(id)" }, .readCase),
        Row("WATCH template=trial", .watchTemplate),
        Row("UNWATCH", .signedIn),
    ]

    @Test(arguments: Backend.allCases)
    func everyCommandForEveryPrincipal(_ backend: Backend) async throws {
        let f = try await ServiceFixture.make(backend)
        try await f.publishTemplates()
        try await f.addUser("plain", roles: [])
        try await f.addUser("alice", roles: ["author", "reviewer"])
        try await f.addUser("olga", roles: ["outsider"])
        try await f.addUser("reg", roles: ["regulator"])
        try await f.addUser("dis", roles: ["author", "reviewer"])
        try await f.addUser("victim", roles: [])
        let caseID = try await f.openTrialCase()
        #expect(try await f.run("USER DISABLE dis", as: "root").code == .ok)

        // Every command of the table has a row.
        let covered = Set(Self.rows.map { row in
            (try? RequestParser().parse(row.line("x", "C-1", 0)))??.command ?? "?"
        })
        #expect(covered == Set(CommandTable.specs.keys))

        var n = 0
        for row in Self.rows {
            for kind in Kind.allCases {
                n += 1
                let line = row.line(kind.user ?? "", caseID, n)
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
}
