import AuditLog

/// What a list shows of a case: who it is, where it stands and its
/// attributes, without its documents, signatures, clocks or chain head.
///
/// Lists read this rather than a whole `Case` because a page of a hundred
/// cases should not pay for building a hundred sets of documents.
public struct CaseSummary: Sendable, Equatable {
    public var id: String
    public var template: String
    public var templateVersion: Int
    public var title: String
    public var state: String
    public var stage: String
    public var attributes: [String: String]
    public var version: Int64
    public var opened: Timestamp
    public var entered: Timestamp
    /// The reason given when the case was put on hold; nil while not held.
    public var holdReason: String?
    public var isFinal: Bool

    public init(
        id: String, template: String, templateVersion: Int, title: String, state: String, stage: String,
        attributes: [String: String], version: Int64, opened: Timestamp, entered: Timestamp,
        holdReason: String?, isFinal: Bool
    ) {
        self.id = id; self.template = template; self.templateVersion = templateVersion; self.title = title
        self.state = state; self.stage = stage; self.attributes = attributes; self.version = version
        self.opened = opened; self.entered = entered; self.holdReason = holdReason; self.isFinal = isFinal
    }

    public init(_ c: Case) {
        self.init(
            id: c.id, template: c.template, templateVersion: c.templateVersion, title: c.title, state: c.state,
            stage: c.stage, attributes: c.attributes, version: c.version, opened: c.opened, entered: c.entered,
            holdReason: c.hold?.reason, isFinal: c.isFinal)
    }
}
