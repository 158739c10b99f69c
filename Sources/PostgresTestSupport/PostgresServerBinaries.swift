import Foundation

/// Where the PostgreSQL server programs (`initdb`, `postgres`) live.
struct PostgresServerBinaries {
    let directory: URL

    var initdb: URL { directory.appendingPathComponent("initdb") }
    var postgres: URL { directory.appendingPathComponent("postgres") }

    static let installHint =
        "install them with `apt-get install -y postgresql libpq-dev` (Debian/Ubuntu), "
        + "or point ATMP_TEST_DATABASE_URL at a server the tests may create databases on"

    /// Looks, in order, in `$ATMP_PG_BINDIR`, in `pg_config --bindir`, in the
    /// highest-versioned `/usr/lib/postgresql/*/bin` (Debian's layout), then
    /// on `PATH`. The first directory holding both programs wins.
    static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        debianRoot: String = "/usr/lib/postgresql"
    ) throws(PostgresTestClusterError) -> PostgresServerBinaries {
        var candidates: [String] = []
        if let explicit = environment["ATMP_PG_BINDIR"] { candidates.append(explicit) }
        let path = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if let pgConfig = path.map({ "\($0)/pg_config" }).first(where: FileManager.default.isExecutableFile(atPath:)),
           let bindir = try? Subprocess.run(executable: pgConfig, arguments: ["--bindir"]) {
            candidates.append(bindir.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        candidates += versionDirectories(under: debianRoot)
        candidates += path

        for candidate in candidates {
            let binaries = PostgresServerBinaries(directory: URL(fileURLWithPath: candidate))
            if FileManager.default.isExecutableFile(atPath: binaries.initdb.path),
               FileManager.default.isExecutableFile(atPath: binaries.postgres.path) {
                return binaries
            }
        }
        throw PostgresTestClusterError(
            "PostgreSQL server programs (initdb, postgres) not found (looked in \(candidates.joined(separator: ", "))); "
            + installHint)
    }

    /// `/usr/lib/postgresql/<version>/bin`, highest version first.
    private static func versionDirectories(under root: String) -> [String] {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions
            .sorted { (Double($0) ?? 0) > (Double($1) ?? 0) }
            .map { "\(root)/\($0)/bin" }
    }
}

/// Why the test cluster could not give a test its database. The message
/// says what to install or where the server log is.
public struct PostgresTestClusterError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
