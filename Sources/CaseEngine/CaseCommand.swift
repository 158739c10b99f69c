import AuditLog

/// A request to change a case. `CaseEngine.decide` turns it into events or a rejection.
public enum CaseCommand: Sendable, Equatable {
    case open(OpenCase)
    case advance(transition: String, reason: String?)
    case attach(Attachment)
    /// `meaning` is the client's word; the engine checks it is one of the four.
    case sign(transition: String, meaning: String, reason: String?)
    case hold(reason: String)
    case resume(reason: String)
    case note(text: String)
    case setAttributes([String: String], reason: String?)
}

public struct OpenCase: Sendable, Equatable {
    /// Server-made case id.
    public var id: String
    public var templateVersion: Int
    public var title: String
    public var attributes: [String: String]
    public init(id: String, templateVersion: Int, title: String, attributes: [String: String]) {
        self.id = id; self.templateVersion = templateVersion; self.title = title; self.attributes = attributes
    }
}

public struct Attachment: Sendable, Equatable {
    public var kind: String
    public var sha256: String
    public var uri: String?
    public var title: String?
    public var reason: String?
    public init(kind: String, sha256: String, uri: String? = nil, title: String? = nil, reason: String? = nil) {
        self.kind = kind; self.sha256 = sha256; self.uri = uri; self.title = title; self.reason = reason
    }
}
