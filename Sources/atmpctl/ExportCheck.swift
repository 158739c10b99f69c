import ATMPClient
import AuditLog
import Foundation

/// `atmpctl audit verify EXPORT-FILE`: what to print for a case export.
/// `heads` as for trails (`HEX`, or `ID=HEX` naming the exported case);
/// `documents` is a directory whose files (recursively) are hashed and
/// matched to the listed documents by sha256.
func verifyExport(_ bytes: [UInt8], heads: [String], documents: String?) -> TrailCheck {
    var expectedHead: String?
    for head in heads {
        let value = head.lastIndex(of: "=").map { String(head[head.index(after: $0)...]) } ?? head
        if let expectedHead, expectedHead != value {
            return TrailCheck(ok: false, summary: [], failures: ["atmpctl: an export holds one case: give one --head"])
        }
        expectedHead = value
    }
    var available: Set<String>?
    if let documents {
        switch digests(under: documents) {
        case .success(let found): available = found
        case .failure(let error): return TrailCheck(ok: false, summary: [], failures: ["atmpctl: \(error)"])
        }
    }
    let report = CaseExportVerifier.verify(bytes, expectedHead: expectedHead, availableDocuments: available)
    var documentLines: [String] = []
    for document in report.documents {
        let status = document.found.map { $0 ? "found" : "MISSING" } ?? "listed"
        documentLines.append("document \(document.kind) sha256 \(document.sha256): \(status)")
    }
    guard report.isIntact else {
        var failures = documentLines.filter { $0.hasSuffix("MISSING") }
        failures += report.problems.map { "broken: \($0)" }
        failures.append("audit verify: case \(report.caseID ?? "?"): \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s")")
        return TrailCheck(ok: false, summary: [], failures: failures)
    }
    var summary = ["case \(report.caseID ?? "?"): \(report.events) events, head \(report.head ?? "?")"
        + (expectedHead != nil ? " (matches the expected head)" : "")]
    summary += documentLines
    summary.append("verified export: chain, head, case, template, \(report.documents.count) documents and \(report.signatures) signatures agree")
    return TrailCheck(ok: true, summary: summary, failures: [])
}

/// SHA-256 of every regular file under `directory`.
private func digests(under directory: String) -> Result<Set<String>, ClientError> {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        return .failure(.io("\(directory): not a directory"))
    }
    guard let walker = FileManager.default.enumerator(atPath: directory) else {
        return .failure(.io("\(directory): cannot be read"))
    }
    var found: Set<String> = []
    while let relative = walker.nextObject() as? String {
        let path = directory + "/" + relative
        // Regular files only: a socket or a FIFO in the directory is no document.
        guard (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular
        else { continue }
        do {
            found.insert(try FileDigest.sha256(ofFileAt: path))
        } catch {
            return .failure(error)
        }
    }
    return .success(found)
}
