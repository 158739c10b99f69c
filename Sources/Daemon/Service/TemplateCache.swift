import Storage
import Synchronization
import Workflow

/// Parsed templates by name and version. Published versions never change,
/// so entries never go stale; only "which version is the latest" must be asked
/// of the store each time (another instance may have published one).
final class TemplateCache: Sendable {
    struct Key: Hashable { var name: String; var version: Int }

    /// A stored template version with its parsed model.
    struct Entry: Sendable {
        var stored: StoredTemplate
        var template: Template
    }

    private let entries = Mutex<[Key: Entry]>([:])
    private let store: any Store

    init(store: any Store) { self.store = store }

    /// The version (latest when nil), or nil when there is no such template or version.
    func entry(named name: String, version: Int?) async throws(StoreError) -> Entry? {
        if let version, let cached = entries.withLock({ $0[Key(name: name, version: version)] }) { return cached }
        guard let stored = try await store.template(named: name, version: version) else { return nil }
        return try remember(stored)
    }

    /// Parses (once) and caches a stored version.
    func remember(_ stored: StoredTemplate) throws(StoreError) -> Entry {
        let key = Key(name: stored.name, version: stored.version)
        if let cached = entries.withLock({ $0[key] }) { return cached }
        switch TemplateLoader.load(yaml: stored.body, file: "\(stored.name)@\(stored.version)") {
        case .success(let template):
            let entry = Entry(stored: stored, template: template)
            entries.withLock { $0[key] = entry }
            return entry
        case .failure(let errors):
            // Only validated bodies are stored: this is corruption, not user error.
            throw StoreError(.corrupt, "stored template \(stored.name) version \(stored.version) no longer loads: \(errors)")
        }
    }
}
