import ControlProtocol

/// The filters of `CASE LIST`; nil means "not filtered".
public struct CaseFilter: Sendable, Hashable {
    public var template: String?
    public var state: String?
    public var stage: String?
    public var overdue: Bool?
    public var hold: Bool?
    public var limit: Int?
    public var after: String?

    public init(template: String? = nil, state: String? = nil, stage: String? = nil, overdue: Bool? = nil,
                hold: Bool? = nil, limit: Int? = nil, after: String? = nil) {
        self.template = template
        self.state = state
        self.stage = stage
        self.overdue = overdue
        self.hold = hold
        self.limit = limit
        self.after = after
    }

    var fields: [Field] {
        var fields: [Field] = []
        fields.append(optional: "template", template)
        fields.append(optional: "state", state)
        fields.append(optional: "stage", stage)
        fields.append(optional: "overdue", overdue.map { String($0) })
        fields.append(optional: "hold", hold.map { String($0) })
        fields.append(optional: "limit", limit.map { String($0) })
        fields.append(optional: "after", after)
        return fields
    }
}

/// What every change to a case may carry besides its own arguments.
public struct ChangeOptions: Sendable, Hashable {
    public var reason: String?
    /// Make the change conditional on the case's current version (else 450).
    public var expect: Int?
    /// An idempotency key: a repeat returns the first reply and changes nothing.
    public var idem: String?

    public init(reason: String? = nil, expect: Int? = nil, idem: String? = nil) {
        self.reason = reason
        self.expect = expect
        self.idem = idem
    }

    var fields: [Field] {
        var fields: [Field] = []
        fields.append(optional: "reason", reason)
        fields.append(optional: "expect", expect.map { String($0) })
        fields.append(optional: "idem", idem)
        return fields
    }
}

extension Array where Element == Field {
    mutating func append(optional key: String, _ value: String?) {
        if let value { append(Field(key, value)) }
    }
}

extension ControlConnection {
    /// `CASE OPEN template=… [version=N] title=… [attr.KEY=VALUE …] [idem=KEY]`;
    /// attributes go out in the order given.
    public func openCase(template: String, version: Int? = nil, title: String,
                         attributes: [(key: String, value: String)] = [], idem: String? = nil) throws(ClientError) -> Reply {
        var keyed = [Field("template", template)]
        keyed.append(optional: "version", version.map { String($0) })
        keyed.append(Field("title", title))
        keyed += attributes.map { Field("attr." + $0.key, $0.value) }
        keyed.append(optional: "idem", idem)
        return try perform(Request(verb: ["CASE", "OPEN"], keyed: keyed))
    }

    public func showCase(_ id: String) throws(ClientError) -> Reply {
        try perform(Request(verb: ["CASE", "SHOW"], positional: [id]))
    }

    /// One page of `CASE LIST`; the final line carries `count=` and, when more follow, `next=`.
    public func listCases(_ filter: CaseFilter = CaseFilter()) throws(ClientError) -> Reply {
        try perform(Request(verb: ["CASE", "LIST"], keyed: filter.fields))
    }

    public func advanceCase(_ id: String, transition: String, _ options: ChangeOptions = ChangeOptions())
        throws(ClientError) -> Reply {
        try perform(Request(verb: ["CASE", "ADVANCE"], positional: [id, transition], keyed: options.fields))
    }

    /// `CASE ATTACH ID document=KIND sha256=HEX [uri=…] [title=…]`; the document
    /// itself never travels, only its digest (see `FileDigest`).
    public func attachDocument(to id: String, kind: String, sha256: String, uri: String? = nil, title: String? = nil,
                               _ options: ChangeOptions = ChangeOptions()) throws(ClientError) -> Reply {
        var keyed = [Field("document", kind), Field("sha256", sha256)]
        keyed.append(optional: "uri", uri)
        keyed.append(optional: "title", title)
        keyed += options.fields
        return try perform(Request(verb: ["CASE", "ATTACH"], positional: [id], keyed: keyed))
    }

    /// `CASE SIGN ID TRANSITION meaning=… password=…`: the password is asked for
    /// every signature (21 CFR 11.200); a wrong one is 535.
    public func signCase(_ id: String, transition: String, meaning: String, password: String,
                         _ options: ChangeOptions = ChangeOptions()) throws(ClientError) -> Reply {
        let keyed = [Field("meaning", meaning), Field("password", password)] + options.fields
        return try perform(Request(verb: ["CASE", "SIGN"], positional: [id, transition], keyed: keyed))
    }

    public func holdCase(_ id: String, reason: String, _ options: ChangeOptions = ChangeOptions()) throws(ClientError) -> Reply {
        var options = options
        options.reason = reason
        return try perform(Request(verb: ["CASE", "HOLD"], positional: [id], keyed: options.fields))
    }

    public func resumeCase(_ id: String, reason: String, _ options: ChangeOptions = ChangeOptions()) throws(ClientError) -> Reply {
        var options = options
        options.reason = reason
        return try perform(Request(verb: ["CASE", "RESUME"], positional: [id], keyed: options.fields))
    }

    public func noteCase(_ id: String, text: String, _ options: ChangeOptions = ChangeOptions()) throws(ClientError) -> Reply {
        try perform(Request(verb: ["CASE", "NOTE"], positional: [id], keyed: [Field("text", text)] + options.fields))
    }

    /// `CASE SET ID attr.KEY=VALUE … reason=…` (the reason is required by the server).
    public func setAttributes(of id: String, _ attributes: [(key: String, value: String)], reason: String,
                              _ options: ChangeOptions = ChangeOptions()) throws(ClientError) -> Reply {
        var options = options
        options.reason = reason
        let keyed = attributes.map { Field("attr." + $0.key, $0.value) } + options.fields
        return try perform(Request(verb: ["CASE", "SET"], positional: [id], keyed: keyed))
    }
}
