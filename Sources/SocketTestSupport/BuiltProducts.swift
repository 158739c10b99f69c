import Foundation

/// The executables SwiftPM built for this test run (a test target that
/// depends on an executable target makes SwiftPM build it first), found
/// beside the test bundle, so tests run them as a user would.
public enum BuiltProducts {
    /// The package's root directory.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    public struct NotFound: Error, CustomStringConvertible {
        public var description: String
    }

    /// The built executable `name` (`atmpd`, `atmpctl`).
    public static func executable(_ name: String) throws -> URL {
        var candidates: [URL] = []
        if let first = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: first).deletingLastPathComponent().appendingPathComponent(name))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent(name))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name))
        candidates.append(packageRoot.appendingPathComponent(".build/debug/\(name)"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw NotFound(description: "\(name) binary not found; looked in \(candidates.map(\.path))")
        }
        return found
    }
}
