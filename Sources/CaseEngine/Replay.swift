import AuditLog
import Workflow

/// Why a chain could not be replayed into a case.
public struct CaseReplayError: Error, Sendable, Equatable, CustomStringConvertible {
    public var seq: Int64
    public var message: String
    public init(seq: Int64, message: String) { self.seq = seq; self.message = message }
    public var description: String { "event \(seq): \(message)" }
}

extension CaseEngine {
    /// Rebuilds a case from its audit chain (already verified by the caller):
    /// each event's record is read back with `CaseEvent(record:)` and applied with
    /// `evolve`. The first event must be `case.opened` and no later one may be.
    public static func replay(_ chain: [AuditEvent], template: Template) throws(CaseReplayError) -> Case? {
        var current: Case?
        for event in chain {
            let record = AuditRecord(
                at: event.at, actor: event.actor, role: event.role, action: event.action, data: event.data)
            let decoded: CaseEvent
            do { decoded = try CaseEvent(record: record) } catch {
                throw CaseReplayError(seq: event.seq, message: error.description)
            }
            let isOpened: Bool
            if case .opened = decoded.kind { isOpened = true } else { isOpened = false }
            if isOpened != (current == nil) {
                throw CaseReplayError(
                    seq: event.seq,
                    message: isOpened ? "case.opened on a case already open" : "the first event must be case.opened")
            }
            current = evolve(current, decoded, caseID: event.chain, seq: event.seq, hash: event.hash, template: template)
        }
        return current
    }
}
