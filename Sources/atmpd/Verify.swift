import ArgumentParser
import Foundation
import Storage

/// `atmpd verify`: the full AUDIT VERIFY — every chain recomputed, each case's
/// stored version and head compared with its chain — run directly on the
/// database, without a daemon. For checking a restored backup before atmpd
/// serves it (scripts/verify-restore). Writes nothing, migrates nothing.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify every audit chain in the database (exit 65 naming broken chains).",
        discussion: """
            With --heads FILE, also checks that each chain still holds the head recorded in FILE \
            (lines CHAIN|SEQ|HASH, or separated by spaces; # starts a comment): the event at SEQ \
            must have that HASH. Taken before a backup, such a file shows that a restore from it \
            is not older or truncated, which the chains alone cannot show.
            """)

    @Option(help: "A heads file recorded at backup time: CHAIN|SEQ|HASH per line.") var heads: String?

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let recorded = try heads.map(Self.readHeads) ?? []
        let settings = try Settings(configPath: common.config)
        let location = try common.databaseLocation(settings)
        let logger = try common.bootstrapLogging(settings)
        let store = try await openStore(location, logger: logger)
        let result: StorageVerification
        var headProblems: [BrokenChain] = []
        do {
            result = try await store.verify(chain: nil)
            for head in recorded {
                let events = try await store.trail(chain: head.chain, from: head.seq, limit: 1)
                if let event = events.first, event.seq == head.seq {
                    if event.hash != head.hash {
                        headProblems.append(BrokenChain(chain: head.chain, seq: head.seq, reason: "recorded head \(head.hash) at backup time, but seq \(head.seq) has hash \(event.hash)"))
                    }
                } else {
                    headProblems.append(BrokenChain(chain: head.chain, seq: head.seq, reason: "recorded head at seq \(head.seq) at backup time, but the chain has no such event: the restore is older or truncated"))
                }
            }
            await store.close()
        } catch {
            await store.close()
            printError("cannot verify \(location): \(error.message)")
            throw error.code == .unavailable ? Exit.unavailable : ExitCode.failure
        }
        let broken = result.broken + headProblems
        guard broken.isEmpty else {
            for chain in broken { say("broken chain=\(chain.chain) seq=\(chain.seq): \(chain.reason)") }
            printError("\(location): \(broken.count) problem(s) in \(result.chains) chains")
            throw Exit.dataError
        }
        let headsNote = heads.map { ", \(recorded.count) recorded heads from \($0) present" } ?? ""
        say("verified \(location): \(result.chains) chains, \(result.events) events, no break\(headsNote)")
    }

    struct RecordedHead { var chain: String; var seq: Int64; var hash: String }

    static func readHeads(_ path: String) throws -> [RecordedHead] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("cannot read heads file \(path)")
        }
        var heads: [RecordedHead] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let parts = content.split(whereSeparator: { $0 == "|" || $0 == " " || $0 == "\t" }).map(String.init)
            if parts.isEmpty { continue }
            guard parts.count == 3, let seq = Int64(parts[1]), seq >= 1 else {
                throw ValidationError("heads file \(path) line \(number + 1): expected CHAIN|SEQ|HASH")
            }
            heads.append(RecordedHead(chain: parts[0], seq: seq, hash: parts[2]))
        }
        return heads
    }
}
