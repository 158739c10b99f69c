import ControlProtocol

/// The daemon's per-request wire work: cutting the byte stream into lines
/// (`LineFramer`), parsing each line (`RequestParser`), and encoding the
/// typical reply to a case change (`ReplyEncoder`).
enum ParserBenchmark {
    /// A mix of request lines as atmpctl and scripts send them: short session
    /// commands, changes with quoted reasons, attachments with a digest and a
    /// URI, filtered lists, escapes inside quotes, lower-case verbs, CRLF and
    /// bare LF endings.
    static let requestLines: [String] = [
        #"AUTH user=alice password="correct horse battery staple""#,
        "HELLO",
        "PING",
        "CASE SHOW C-000123",
        #"CASE ADVANCE C-000123 submit reason="Batch record reviewed by the QP" expect=7 idem=7f3a9c2e-1b4d"#,
        "CASE ADVANCE C-000124 release",
        "CASE ATTACH C-000123 document=ibd sha256=\(digest) uri=https://dms.example.org/docs/IB-2026-0042?rev=3 title=\"Investigator's Brochure, v3\"",
        #"CASE ATTACH C-000125 document=batch-record sha256=\#(digest) uri=dms://batch/4711 title="Batch record \"B-4711\"" reason="Replaces the scan with\tthe signed copy""#,
        "CASE LIST template=cell-therapy state=manufacturing overdue=false limit=100",
        "CASE LIST stage=clinical hold=false limit=50 after=C-000100",
        #"CASE SIGN C-000123 release meaning=approved password="s3cret \"quoted\" \\ pass" reason="QP release""#,
        #"CASE NOTE C-000123 text="Called the site:\nshipment delayed by \"customs\" until Monday""#,
        #"CASE SET C-000123 attr.site=Uppsala attr.sponsor="Karolinska \\ KI" reason="Site moved""#,
        #"case advance c-000126 submit reason="lower-case verbs are accepted""#,
        "AUDIT TRAIL C-000123 from=1 limit=500",
        "WATCH case=C-000123",
    ]

    static let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

    /// The reply to CASE ADVANCE and the other changes:
    /// `250-case id=… state=… stage=… version=… title=…` then `250 OK`.
    static let caseChangedReply = Reply.ok([ReplyRecord("case", fields: [
        Field("id", "C-000123"), Field("state", "manufacturing"), Field("stage", "clinical"),
        Field("version", "8"), Field("title", "CAR-T batch 4711 for the phase I study"),
    ])])

    struct Result {
        var lines = 0
        /// Framing and parsing a stream, fed in socket-sized chunks.
        var framedSeconds = 0.0
        /// Parsing lines already cut.
        var parseSeconds = 0.0
        var replies = 0
        var replySeconds = 0.0
        var streamBytes = 0

        var framedNanosPerLine: Double { framedSeconds * 1e9 / Double(lines) }
        var parseNanosPerLine: Double { parseSeconds * 1e9 / Double(lines) }
        var replyNanos: Double { replySeconds * 1e9 / Double(replies) }
    }

    /// Bytes one read hands the framer (NIO's default allocation is similar).
    static let chunkSize = 4096

    static func run(lines target: Int) -> Result {
        let target = max(target, 1)
        // One block of the mix, repeated until the block is a few kilobytes, so
        // that chunks cut lines at varying places.
        var block: [UInt8] = []
        var blockLines: [[UInt8]] = []
        for (i, line) in (0..<64).map({ requestLines[$0 % requestLines.count] }).enumerated() {
            block += Array(line.utf8)
            block += i % 2 == 0 ? [0x0D, 0x0A] : [0x0A]
            blockLines.append(Array(line.utf8))
        }
        let parser = RequestParser()
        var checksum = 0

        // Warm-up: also proves that every line of the mix parses.
        for line in blockLines {
            guard let request = try? parser.parse(line) else { fatalError("benchmark line does not parse") }
            checksum &+= request.keyed.count
        }

        var result = Result(lines: target)
        result.streamBytes = block.count

        // Framing + parsing, as the daemon's request loop does.
        var framer = LineFramer()
        var done = 0
        var offset = 0
        let framedWatch = Stopwatch()
        while done < target {
            let end = min(offset + chunkSize, block.count)
            framer.feed(block[offset..<end])
            offset = end == block.count ? 0 : end
            while done < target, let line = try? framer.nextLine() {
                guard let request = try? parser.parse(line) else { fatalError("framed line does not parse") }
                checksum &+= request.positional.count
                done += 1
            }
        }
        result.framedSeconds = framedWatch.seconds

        // Parsing alone, on lines already cut.
        done = 0
        let parseWatch = Stopwatch()
        while done < target {
            for line in blockLines where done < target {
                guard let request = try? parser.parse(line[...]) else { fatalError("line does not parse") }
                checksum &+= request.verb.count
                done += 1
            }
        }
        result.parseSeconds = parseWatch.seconds

        // Encoding the reply to a case change into a reused buffer, as the daemon does.
        result.replies = target
        var out: [UInt8] = []
        out.reserveCapacity(256)
        let replyWatch = Stopwatch()
        for _ in 0..<target {
            out.removeAll(keepingCapacity: true)
            ReplyEncoder.append(caseChangedReply, to: &out)
            checksum &+= out.count
        }
        result.replySeconds = replyWatch.seconds

        if checksum == 42 { print("") }  // keeps the work observable
        return result
    }
}
