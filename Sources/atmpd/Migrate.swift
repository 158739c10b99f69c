import ArgumentParser
import Storage

/// `atmpd migrate`: brings the database schema up to date and says what it did.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let settings = try Settings(configPath: common.config)
        let location = try common.databaseLocation(settings)
        let logger = try common.bootstrapLogging(settings)
        let store = try await openStore(location, logger: logger)
        let applied = try await migrate(store)
        let current = (try? await store.appliedMigrations().max()) ?? 0
        await store.close()
        if applied.isEmpty {
            say("nothing to do: \(location) is at schema version \(current)")
        } else {
            for migration in applied { say("applied \(migration.version) \(migration.name)") }
            say("\(location) is at schema version \(current)")
        }
    }
}
