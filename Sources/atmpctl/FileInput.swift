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
