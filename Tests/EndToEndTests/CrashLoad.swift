import ControlProtocol
import Foundation
import Testing

/// A change the daemon acknowledged with `250`: the case, the version in the
/// reply, and the note's text, which is unique so the trail can be checked
/// for exactly this change.
struct Acknowledged: Sendable {
    var caseID: String
    var version: Int
    var text: String
    /// The audit action the change must have left.
    var action: String
    var at: Date
}

/// What the load clients saw, shared between their threads.
final class LoadLog: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var acknowledged: [Acknowledged] = []
    private var unexpected: [String] = []
    private var codes: [Int: Int] = [:]
    private var drops = 0
    private var stopping = false

    func ack(_ change: Acknowledged) { lock.withLock { acknowledged.append(change); codes[250, default: 0] += 1 } }
    func refused(_ code: Int) { lock.withLock { codes[code, default: 0] += 1 } }
    func dropped() { lock.withLock { drops += 1 } }
    func odd(_ what: String) { lock.withLock { unexpected.append(what) } }
    func stop() { lock.withLock { stopping = true } }

    var isStopping: Bool { lock.withLock { stopping } }
    var acks: [Acknowledged] { lock.withLock { acknowledged } }
    var ackCount: Int { lock.withLock { acknowledged.count } }
    var unexpectedReplies: [String] { lock.withLock { unexpected } }
    var summary: String { lock.withLock { "replies by code \(codes.sorted { $0.key < $1.key }), dropped connections \(drops)" } }
}

/// Clients that note on their own case as fast as the daemon answers, each on
/// its own thread and connection (blocking sockets, as atmpctl does).
struct LoadClients {
    let log = LoadLog()
    private let group = DispatchGroup()

    /// Starts one thread per case. With `reconnect`, a dropped connection is
    /// opened again; without, the thread ends at the first drop (the daemon is gone).
    func start(socket: String, cases: [String], user: String, password: String, reconnect: Bool) {
        for (index, caseID) in cases.enumerated() {
            group.enter()
            let log = log
            let group = group
            let thread = Thread {
                Self.run(index: index, socket: socket, caseID: caseID, user: user, password: password,
                         reconnect: reconnect, log: log)
                group.leave()
            }
            thread.start()
        }
    }

    /// Asks every thread to stop and waits for them (each read has a timeout).
    func stopAndWait() -> Bool {
        log.stop()
        return group.wait(timeout: .now() + 60) == .success
    }

    private static func run(index: Int, socket: String, caseID: String, user: String, password: String,
                            reconnect: Bool, log: LoadLog)
    {
        var client: ProtocolClient?
        var counter = 0
        while !log.isStopping {
            if client == nil {
                client = signIn(socket: socket, user: user, password: password, log: log)
                if client == nil {
                    // The daemon is gone (kill -9), or the sign-in was refused or cut.
                    if !reconnect { return }
                    Thread.sleep(forTimeInterval: 0.02)
                    continue
                }
            }
            counter += 1
            let text = "w\(index)-\(counter)"
            // Notes and attribute changes by turns: two kinds of decision, one change path.
            let (request, action) = counter % 2 == 1
                ? ("CASE NOTE \(caseID) text=\(text)", "case.noted")
                : ("CASE SET \(caseID) attr.sponsor=\(text) reason=\(text)", "case.attributes-changed")
            do {
                let reply = try client!.send(request)
                record(reply, caseID: caseID, text: text, action: action, log: log)
            } catch let error as ClientError where Self.isDrop(error) {
                client = nil
                log.dropped()
                if !reconnect { return }
            } catch {
                client = nil
                log.odd("\(caseID) \(text): \(error)")
                if !reconnect { return }
            }
        }
    }

    /// A new signed-in connection, or nil. AUTH reads the user directory, so
    /// while the database is away it may be refused with 451 like any command.
    static func signIn(socket: String, user: String, password: String, log: LoadLog) -> ProtocolClient? {
        do {
            let client = try ProtocolClient(socket: socket, timeoutSeconds: 20)
            let reply = try client.send("AUTH user=\(user) password=\(Quoting.quotedIfNeeded(password))")
            switch reply.code.rawValue {
            case 250: return client
            case 451: log.refused(451)
            default: log.odd("AUTH \(user): \(reply)")
            }
        } catch let error as ClientError where isDrop(error) || error.description.hasPrefix("connect(") {
            log.dropped()
        } catch {
            log.odd("AUTH \(user): \(error)")
        }
        return nil
    }

    static func record(_ reply: Reply, caseID: String, text: String, action: String = "case.noted", log: LoadLog) {
        switch reply.code.rawValue {
        case 250:
            guard let version = reply.records("case").first?["version"].flatMap({ Int($0) }) else {
                log.odd("\(caseID) \(text): 250 without a version: \(reply)")
                return
            }
            log.ack(Acknowledged(caseID: caseID, version: version, text: text, action: action, at: Date()))
        case 450, 451:
            log.refused(reply.code.rawValue)
        default:
            log.odd("\(caseID) \(text): \(reply)")
        }
    }

    /// A connection the server closed or reset, or a send into a closed socket;
    /// not a read that timed out (that would be a daemon that hangs).
    static func isDrop(_ error: ClientError) -> Bool {
        error == .closed || error.description.contains("errno \(ECONNRESET)")
            || error.description.hasPrefix("send failed")
    }
}

/// Polls `condition` until it holds or `seconds` pass; true when it held.
func poll(seconds: TimeInterval, every interval: TimeInterval = 0.02, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: interval)
    }
    return try condition()
}

/// One audit event of a trail, as much as these tests read of it.
struct TrailEvent {
    var seq: Int
    var action: String
    var actor: String
    var at: String
    /// A note's text, or the reason of any other change.
    var text: String?
}

/// The events of `chain`, read with AUDIT TRAIL.
func trail(_ chain: String, _ client: ProtocolClient) throws -> [TrailEvent] {
    let reply = try client.send("AUDIT TRAIL \(chain) limit=10000")
    expectOK(reply, "AUDIT TRAIL \(chain)")
    let block = reply.records("audit").first?.data ?? ""
    return try block.split(separator: "\n").map { line in
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        return TrailEvent(seq: object["seq"] as? Int ?? -1, action: object["action"] as? String ?? "",
                          actor: object["actor"] as? String ?? "", at: object["at"] as? String ?? "",
                          text: ((object["data"] as? [String: Any]).flatMap { $0["text"] ?? $0["reason"] }) as? String)
    }
}

/// Every acknowledged change is in its chain, at the version the reply named,
/// and each case has reached at least its highest acknowledged version.
func expectAllAcknowledgedPresent(_ acks: [Acknowledged], _ client: ProtocolClient,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws
{
    for (caseID, changes) in Dictionary(grouping: acks, by: \.caseID) {
        let events = Dictionary(try trail(caseID, client).map { ($0.seq, $0) }, uniquingKeysWith: { a, _ in a })
        let shown = try client.send("CASE SHOW \(caseID)").records("case").first?["version"].flatMap { Int($0) } ?? 0
        let highest = changes.map(\.version).max() ?? 0
        #expect(shown >= highest, "\(caseID) is at version \(shown), but \(highest) was acknowledged",
                sourceLocation: sourceLocation)
        for change in changes {
            let event = events[change.version]
            #expect(event?.action == change.action && event?.text == change.text,
                    "\(caseID) v\(change.version) acknowledged for \(change.text), trail has \(String(describing: event))",
                    sourceLocation: sourceLocation)
        }
    }
}
