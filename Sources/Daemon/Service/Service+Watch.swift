import CaseEngine
import ControlProtocol
import Workflow

// WATCH and UNWATCH. The service only decides and records the scope in the
// session; the network layer subscribes to the hub when `session.watch` changes.
extension CommandService {
    func watch(_ request: Request, session: inout Session) async throws(ServiceFailure) -> Outcome {
        let principal = session.principal!
        let scopes = [request.positional.first.map { _ in "all" }, request["case"].map { _ in "case" },
                      request["template"].map { _ in "template" }].compactMap { $0 }
        guard scopes.count <= 1 else { throw .badArgument("WATCH takes one of all, case=ID, template=NAME") }
        let scope: WatchScope
        if let id = request["case"] {
            _ = try await visibleCase(id, principal)
            scope = .caseID(id)
        } else if let name = request["template"] {
            let entry = try await templateEntry(name, version: nil)
            guard Authorization.mayRead(entry.template, principal) else {
                throw .forbidden("watching template \(name) needs one of its roles, regulator or admin")
            }
            scope = .template(name)
        } else {
            if let word = request.positional.first, word.lowercased() != "all" {
                throw .badArgument("WATCH \(word): expected all, case=ID or template=NAME")
            }
            guard Authorization.readsEverything(principal) else {
                throw .forbidden("watching everything needs the regulator or admin role")
            }
            scope = .all
        }
        session.watch = scope
        return Outcome(.ok())
    }
}
