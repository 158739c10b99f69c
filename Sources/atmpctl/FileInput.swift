import ArgumentParser
import Foundation

/// Reads a whole input file, or standard input for `-`, with a clear message on failure.
func readInput(_ path: String) throws -> [UInt8] {
    if path == "-" {
        return Array(FileHandle.standardInput.readDataToEndOfFile())
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let why = !exists ? "no such file" : (isDirectory.boolValue ? "is a directory" : "cannot be read")
        printError("atmpctl: \(path): \(why)")
        throw ExitStatus.noInput
    }
    return Array(data)
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Whether an argument that may be a file or a server-side name (a template,
/// a chain) means a file: `-`, an existing path, or anything with `/` or `.`,
/// which names (`gene-therapy`, `C-000001`, `system`) never contain. So a
/// mistyped path still fails as "no such file" instead of asking the server.
func meansFile(_ argument: String) -> Bool {
    argument == "-" || argument.contains("/") || argument.contains(".")
        || FileManager.default.fileExists(atPath: argument)
}
