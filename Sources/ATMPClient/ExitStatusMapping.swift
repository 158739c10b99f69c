import ControlProtocol

/// How `atmpctl` turns what happened into an exit status, after sysexits(3)
/// where one fits, so a script can tell "fix your data" from "try later" from
/// "you may not".
///
/// | status | meaning | replies |
/// |---|---|---|
/// | 0 | success | 2xx |
/// | 1 | the server refused the request otherwise | 500, 501, 503, 550, unknown codes |
/// | 65 EX_DATAERR | the request was understood; the case or document data refuses it | 552, 553, 554, 555, 557 |
/// | 69 EX_UNAVAILABLE | no service: cannot connect, too busy, storage down, closing | 421, 451, 452 |
/// | 75 EX_TEMPFAIL | the case changed meanwhile: re-read and retry | 450 |
/// | 76 EX_PROTOCOL | the server broke the protocol | — |
/// | 77 EX_NOPERM | not signed in, wrong password, or the roles do not allow it | 530, 535, 551 |
public enum ExitStatusMapping {
    public static let success: Int32 = 0
    public static let refused: Int32 = 1
    public static let usage: Int32 = 64
    public static let dataError: Int32 = 65
    public static let noInput: Int32 = 66
    public static let unavailable: Int32 = 69
    public static let ioError: Int32 = 74
    public static let temporaryFailure: Int32 = 75
    public static let protocolError: Int32 = 76
    public static let noPermission: Int32 = 77

    public static func status(for code: ReplyCode) -> Int32 {
        switch code.rawValue {
        case 200..<300: return success
        case 450: return temporaryFailure
        case 421, 451, 452: return unavailable
        case 530, 535, 551: return noPermission
        case 552, 553, 554, 555, 557: return dataError
        default: return refused
        }
    }

    public static func status(for error: ClientError) -> Int32 {
        switch error {
        case .refused(let failure): return status(for: failure.code)
        case .cannotConnect, .unexpectedGreeting, .connectionClosed, .timedOut: return unavailable
        case .malformedReply: return protocolError
        case .io: return ioError
        case .usage: return usage
        }
    }
}
