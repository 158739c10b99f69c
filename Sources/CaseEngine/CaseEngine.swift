import AuditLog
import Workflow

/// The pure decision function of ATMP Tracker: state and command in, events or a rejection out.
public enum CaseEngine {}
