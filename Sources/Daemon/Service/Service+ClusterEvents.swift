import Storage

// Events announced by another instance, made ready for the hub.
extension CommandService {
    /// The hub's form of an announced event; a reference (an event too large
    /// for the notification) is read from the store. Nil when it cannot be read.
    func published(for item: EventNotification.Item) async -> EventHub.Published? {
        guard item.isReference else {
            return EventHub.Published(chain: item.chain, seq: item.seq, action: item.action ?? "",
                                      actor: item.actor ?? "", template: item.template, state: item.state)
        }
        do throws(StoreError) {
            guard let event = try await store.trail(chain: item.chain, from: item.seq, limit: 1).first,
                  event.seq == item.seq
            else { return nil }
            let current = try await store.loadCase(id: item.chain)?.case
            return EventHub.Published(event: event, template: current?.template, state: current?.state)
        } catch {
            logger.warning("cannot read an event another instance announced",
                           metadata: ["chain": "\(item.chain)", "seq": "\(item.seq)", "error": "\(error)"])
            return nil
        }
    }
}
