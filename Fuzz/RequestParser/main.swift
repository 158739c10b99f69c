// libFuzzer entry for the control protocol's request side: line framing,
// request parsing and data blocks, exactly as the daemon chains them.
// Built by scripts/fuzz together with Sources/ControlProtocol as one module,
// so internal helpers are visible; see docs/fuzzing.md.
//
// Beyond "no crash" it checks invariants that cost little:
// - framing the input in arbitrary chunks gives the same lines as framing it whole;
// - no framed line is longer than the limit or holds an LF, and the framer never
//   buffers more than limit + 1 bytes;
// - a parsed request, re-encoded with RequestEncoder, parses to the same request;
// - `announcesData` agrees with the parsed `hasData`;
// - a data block's text, re-encoded with DataBlock and read back, is unchanged.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    // The first byte picks a small line limit and a chunk size, so short inputs
    // reach the line-too-long paths and every split of CR LF across feeds.
    let limit = Int(first % 64) + 1
    let chunk = Int(first / 64) * 7 + 1
    let body = bytes[1...]

    let whole = frame(body, limit: limit, chunk: body.count + 1)
    let chunked = frame(body, limit: limit, chunk: chunk)
    check(whole == chunked, "chunked framing differs from whole framing")

    // The daemon's own limits: 16 KiB lines, 1 MiB blocks.
    runConversation(frame(body, limit: LineFramer.defaultMaxLineLength, chunk: chunk))
    return 0
}

/// One framed line, or the error in its place; comparable, unlike `Result`'s use here.
enum Framed: Equatable {
    case line([UInt8])
    case error(ProtocolError)
}

func frame(_ bytes: ArraySlice<UInt8>, limit: Int, chunk: Int) -> [Framed] {
    var framer = LineFramer(maxLineLength: limit)
    var out: [Framed] = []
    var start = bytes.startIndex
    while start < bytes.endIndex {
        let end = min(start + chunk, bytes.endIndex)
        framer.feed(bytes[start..<end])
        check(framer.bufferedByteCount <= limit + 1, "framer buffers more than limit + 1 bytes")
        start = end
        while true {
            do {
                guard let line = try framer.nextLine() else { break }
                check(line.count <= limit, "framed line longer than the limit")
                check(!line.contains(ASCII.lf), "framed line holds an LF")
                out.append(.line(line))
            } catch {
                check(error.key == .lineTooLong, "framer threw \(error)")
                out.append(.error(error))
            }
        }
    }
    return out
}

/// Requests and data blocks in turn, as the daemon reads a connection.
func runConversation(_ lines: [Framed]) {
    let parser = RequestParser()
    var block: DataBlockReader?
    for case .line(let line) in lines {
        if var reader = block {
            let result = reader.consume(line)
            block = reader
            guard let result else { continue }
            block = nil
            if case .success(let text) = result { checkBlockRoundTrip(text) }
            continue
        }
        let announces = RequestParser.announcesData(line[...])
        do {
            if let request = try parser.parse(line) {
                check(request.hasData == announces, "announcesData disagrees with the parsed request")
                checkRequestRoundTrip(request, parser: parser)
            }
        } catch {
            // An ordinary refusal; the daemon answers it and goes on.
        }
        if announces { block = DataBlockReader() }
    }
}

func checkRequestRoundTrip(_ request: Request, parser: RequestParser) {
    var wire = RequestEncoder.encode(request)
    check(wire.suffix(2) == ASCII.crlf[...], "encoded request does not end in CR LF")
    wire.removeLast(2)
    do {
        let again = try parser.parse(wire)
        check(again == request, "re-encoded request parses differently: \(request) vs \(String(describing: again))")
    } catch {
        fatalError("re-encoded request does not parse: \(error) for \(request)")
    }
}

func checkBlockRoundTrip(_ text: String) {
    let wire = DataBlock.encode(text)
    var framer = LineFramer(maxLineLength: wire.count + 1)
    framer.feed(wire)
    var reader = DataBlockReader()
    while let line = try? framer.nextLine() {
        guard let result = reader.consume(line) else { continue }
        guard case .success(let again) = result else { fatalError("re-encoded block refused: \(result)") }
        check(again == text, "re-encoded data block reads back differently")
        return
    }
    fatalError("re-encoded data block never ended")
}

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant broken: \(message())") }
}
