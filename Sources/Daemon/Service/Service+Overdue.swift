import AuditLog
import CaseEngine
import Storage

// The clock loop's work: raise `case.overdue` once per case and deadline/clock.
extension CommandService {
    func raiseOverdueEvents(limit: Int) async -> Int {
        let now = clock.now()
        let due: [StoredCase]
        do throws(StoreError) { due = try await store.casesDue(at: now, limit: limit) } catch {
            metrics.storeError(error.code)
            logger.warning("overdue scan failed", metadata: ["error": "\(error)"])
            return 0
        }
        var raised = 0
        for stored in due {
            let current = stored.case
            do throws(StoreError) {
                guard let entry = try await templates.entry(named: current.template, version: current.templateVersion)
                else { continue }
                let events = CaseEngine.overdue(current, template: entry.template, at: now)
                guard !events.isEmpty else { continue }
                let prepared = Self.seal(events, onto: current, caseID: current.id, template: entry.template)
                try await store.commit(prepared.write)
                caseCache.put(prepared.write.stored)
                metrics.changeCommitted(events: prepared.events.count, overdue: true)
                publish(prepared.events, template: current.template, state: prepared.after.state)
                raised += prepared.events.count
                logger.info("case overdue", metadata: ["case": "\(current.id)", "events": "\(prepared.events.count)",
                                                       "version": "\(prepared.after.version)"])
            } catch let error where error.code == .conflict {
                metrics.conflict()
                caseCache.remove(current.id)
                // Changed meanwhile: the change recomputed the schedule; the next tick looks again.
                continue
            } catch {
                metrics.storeError(error.code)
                logger.error("cannot raise overdue", metadata: ["case": "\(current.id)", "error": "\(error)"])
            }
        }
        return raised
    }
}
