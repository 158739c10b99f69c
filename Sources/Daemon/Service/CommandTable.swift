import ControlProtocol

/// The shape of one command: its arguments and whether it takes a data block.
/// Checked before the handler runs, so handlers can rely on it.
struct CommandSpec: Sendable {
    enum DataBlock: Sendable { case none, required }

    /// `"CASE ADVANCE"`.
    var verb: String
    /// Positional arguments, by name, for messages; `optionalPositional` of them may be left out.
    var positional: [String] = []
    var optionalPositional: Int = 0
    /// Keys that must be present.
    var required: Set<String> = []
    /// Keys that may be present.
    var optional: Set<String> = []
    /// Key prefixes that may be present any number of times (`attr.`).
    var prefixes: [String] = []
    var data: DataBlock = .none

    var allowedKeys: Set<String> { required.union(optional) }
}

/// Every command of protocol version 1 with its arguments. Who may run each
/// one is in `Authorization.permissions`, one table for the whole daemon.
enum CommandTable {
    static let specs: [String: CommandSpec] = Dictionary(uniqueKeysWithValues: all.map { ($0.verb, $0) })

    /// Keys every case change accepts beyond its own.
    private static let change: Set<String> = ["idem"]

    static let all: [CommandSpec] = [
        // Session
        CommandSpec(verb: "HELLO"),
        CommandSpec(verb: "AUTH", required: ["user", "password"]),
        CommandSpec(verb: "PING"),
        CommandSpec(verb: "QUIT"),
        // Users
        CommandSpec(verb: "USER ADD", positional: ["NAME"], required: ["roles", "password"]),
        CommandSpec(verb: "USER LIST"),
        CommandSpec(verb: "USER ROLES", positional: ["NAME"], required: ["roles"]),
        CommandSpec(verb: "USER DISABLE", positional: ["NAME"]),
        CommandSpec(verb: "USER ENABLE", positional: ["NAME"]),
        CommandSpec(verb: "USER PASSWORD", positional: ["NAME"], required: ["password"]),
        // Templates
        CommandSpec(verb: "TEMPLATE PUT", data: .required),
        CommandSpec(verb: "TEMPLATE CHECK", data: .required),
        CommandSpec(verb: "TEMPLATE LIST"),
        CommandSpec(verb: "TEMPLATE SHOW", positional: ["NAME"], optional: ["version"]),
        CommandSpec(verb: "TEMPLATE GRAPH", positional: ["NAME"], optional: ["version", "format"]),
        // Cases: reads
        CommandSpec(verb: "CASE SHOW", positional: ["ID"]),
        CommandSpec(verb: "CASE LIST", optional: ["template", "state", "stage", "overdue", "hold", "limit", "after"]),
        // Cases: changes
        CommandSpec(verb: "CASE OPEN", required: ["template", "title"], optional: change.union(["version"]),
                    prefixes: ["attr."]),
        CommandSpec(verb: "CASE ADVANCE", positional: ["ID", "TRANSITION"], optional: change.union(["reason", "expect"])),
        CommandSpec(verb: "CASE ATTACH", positional: ["ID"], required: ["document", "sha256"],
                    optional: change.union(["uri", "title", "reason", "expect"])),
        CommandSpec(verb: "CASE SIGN", positional: ["ID", "TRANSITION"], required: ["meaning", "password"],
                    optional: change.union(["reason", "expect"])),
        CommandSpec(verb: "CASE HOLD", positional: ["ID"], required: ["reason"], optional: change.union(["expect"])),
        CommandSpec(verb: "CASE RESUME", positional: ["ID"], required: ["reason"], optional: change.union(["expect"])),
        CommandSpec(verb: "CASE NOTE", positional: ["ID"], required: ["text"], optional: change.union(["expect"])),
        CommandSpec(verb: "CASE SET", positional: ["ID"], required: ["reason"], optional: change.union(["expect"]),
                    prefixes: ["attr."]),
        // Audit
        CommandSpec(verb: "AUDIT TRAIL", positional: ["CHAIN"], optional: ["from", "limit"]),
        CommandSpec(verb: "AUDIT VERIFY", positional: ["CHAIN"], optionalPositional: 1),
        CommandSpec(verb: "AUDIT EXPORT", positional: ["CASE", "ID"]),
        // Watching
        CommandSpec(verb: "WATCH", positional: ["all"], optionalPositional: 1, optional: ["case", "template"]),
        CommandSpec(verb: "UNWATCH"),
        // Operations (this project's extension)
        CommandSpec(verb: "STATS"),
    ]

    /// Checks a request against its spec: arity, keys, data block. A data
    /// block where none is taken, or none where one is needed, is 501 like any
    /// other argument error (the block is an argument of the command).
    static func validate(_ request: Request, data: String?, against spec: CommandSpec) throws(ServiceFailure) {
        let verb = spec.verb
        let hasData = request.hasData || data != nil
        switch spec.data {
        case .none where hasData:
            throw .badArgument("\(verb) takes no data block")
        case .required where !hasData:
            throw .badArgument("\(verb) needs a data block: send +\(verb) followed by the text and a line holding '.'")
        default: break
        }
        let minimum = spec.positional.count - spec.optionalPositional
        if request.positional.count < minimum {
            let missing = spec.positional[request.positional.count...].joined(separator: " ")
            throw .badArgument("\(verb) needs \(missing)")
        }
        if request.positional.count > spec.positional.count {
            throw .badArgument("\(verb) takes \(spec.positional.count) positional argument(s), got \(request.positional.count)")
        }
        let allowed = spec.allowedKeys
        for field in request.keyed where !allowed.contains(field.key) {
            if let prefix = spec.prefixes.first(where: { field.key.hasPrefix($0) }), field.key.count > prefix.count {
                continue
            }
            let known = (allowed.sorted() + spec.prefixes.map { $0 + "KEY" }).joined(separator: ", ")
            throw .badArgument("unknown argument \(field.key) for \(verb) (known: \(known.isEmpty ? "none" : known))")
        }
        for key in spec.required.sorted() where request[key] == nil {
            throw .badArgument("\(verb) needs \(key)=")
        }
    }
}
