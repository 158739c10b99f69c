import ArgumentParser
import Daemon
import Foundation
import Logging
import Storage
import Yams

/// Options every subcommand shares: where the data is.
struct CommonOptions: ParsableArguments {
    @Option(help: "Database: sqlite:PATH, postgresql://… or a libpq key=value string. [env: ATMP_DATABASE]")
    var database: String?

    @Option(help: "Data directory for the embedded defaults (default ./.atmp). [env: ATMP_DATA_DIR]")
    var dataDir: String?

    @Option(help: "YAML file with the same settings as the options. [env: ATMP_CONFIG]")
    var config: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (default info). [env: ATMP_LOG_LEVEL]")
    var logLevel: String?
}

/// The settings, each from the first place that has it: command-line flag,
/// then `ATMP_*` environment variable, then the config file, then the default.
struct Settings {
    /// Every key a config file may hold; the environment variable is `ATMP_` + the key upper-cased, `-` as `_`.
    static let keys: Set<String> = [
        "database", "data-dir", "log-level", "socket", "listen", "workflows", "peer-auth",
        "max-connections", "idle-timeout", "max-line", "tick", "pool-size", "commit-lanes", "commit-spin", "case-cache",
        "tls-cert", "tls-key", "metrics-listen", "cluster-events", "lane-reads",
    ]

    let environment: [String: String]
    let file: [String: String]

    init(configPath flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.environment = environment
        guard let path = flag ?? environment["ATMP_CONFIG"] else {
            file = [:]
            return
        }
        file = try Self.readConfigFile(path)
    }

    static func environmentName(_ key: String) -> String {
        "ATMP_" + key.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// The value of `key`: the flag's, else the environment's, else the file's.
    func value(_ key: String, flag: String?) -> String? {
        precondition(Self.keys.contains(key), "unknown setting \(key)")
        if let flag { return flag }
        if let env = environment[Self.environmentName(key)], !env.isEmpty { return env }
        return file[key]
    }

    func integer(_ key: String, flag: Int?, range: ClosedRange<Int>) throws -> Int? {
        if let flag {
            guard range.contains(flag) else { throw ValidationError("--\(key) must be in \(range)") }
            return flag
        }
        guard let text = value(key, flag: nil) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw ValidationError("\(key) must be a whole number in \(range), not \(text.debugDescription)")
        }
        return number
    }

    func boolean(_ key: String, flag: Bool?) throws -> Bool? {
        if let flag { return flag }
        guard let text = value(key, flag: nil) else { return nil }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ValidationError("\(key) must be true or false, not \(text.debugDescription)")
        }
    }

    /// A flat YAML mapping of the settings' keys to scalars.
    static func readConfigFile(_ path: String) throws -> [String: String] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read config file \(path): \(error.localizedDescription)")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ValidationError("config file \(path) is not valid YAML: \(error)")
        }
        guard let node else { return [:] }
        guard let mapping = node.mapping else { throw ValidationError("config file \(path) must be a mapping of settings") }
        var values: [String: String] = [:]
        for (key, value) in mapping {
            guard let name = key.string, keys.contains(name) else {
                throw ValidationError("config file \(path): unknown setting \(key.string ?? "?"); known: \(keys.sorted().joined(separator: ", "))")
            }
            guard let scalar = value.scalar else { throw ValidationError("config file \(path): \(name) must be a single value") }
            values[name] = scalar.string
        }
        return values
    }
}

/// Where data lives by default, and the defaults derived from it.
struct DataDirectory {
    let path: String

    init(_ settings: Settings, flag: String?) {
        let given = settings.value("data-dir", flag: flag) ?? ".atmp"
        path = URL(fileURLWithPath: given, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL.path
    }

    var defaultDatabase: String { "sqlite:" + path + "/atmp.db" }
    var defaultSocket: String { path + "/atmpd.sock" }

    /// Creates the directory, readable by its owner only, if missing.
    func create() throws {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ValidationError("cannot create data directory \(path): \(error.localizedDescription)")
        }
    }
}

extension CommonOptions {
    /// The database to use, creating the data directory when the default is taken.
    func databaseLocation(_ settings: Settings) throws -> DatabaseLocation {
        let text: String
        if let given = settings.value("database", flag: database) {
            text = given
        } else {
            let directory = DataDirectory(settings, flag: dataDir)
            try directory.create()
            text = directory.defaultDatabase
        }
        do {
            return try DatabaseLocation(parsing: text)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// Sends log lines to standard error at the chosen level.
    func bootstrapLogging(_ settings: Settings) throws -> Logger {
        let text = settings.value("log-level", flag: logLevel) ?? "info"
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ValidationError("unknown log level \(text.debugDescription)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "atmpd")
        logger.logLevel = level
        return logger
    }
}

/// Opens the store, or exits 69 with a message saying why not.
func openStore(_ location: DatabaseLocation, poolSize: Int? = nil, commitLanes: Int? = nil, commitSpin: Duration? = nil,
               logger: Logger) async throws -> SQLStore
{
    do {
        return try await SQLStore.open(location, poolSize: poolSize, commitLanes: commitLanes, commitSpin: commitSpin,
                                       logger: logger)
    } catch {
        printError("cannot reach the database \(location): \(error.message)")
        throw Exit.unavailable
    }
}

/// Applies pending migrations; exits 69 if the database fails meanwhile.
func migrate(_ store: SQLStore) async throws -> [Migration] {
    do {
        return try await store.migrate()
    } catch {
        printError("cannot migrate the database: \(error.message)")
        throw error.code == .unavailable ? Exit.unavailable : ExitCode.failure
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data(("atmpd: " + message + "\n").utf8))
}

/// Prints and flushes at once, so that a supervisor or test reading a pipe sees it.
func say(_ message: String) {
    FileHandle.standardOutput.write(Data((message + "\n").utf8))
}
