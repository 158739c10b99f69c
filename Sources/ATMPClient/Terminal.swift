#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few terminal operations the client needs, on standard input: raw mode
/// for the shell's editor, no-echo for passwords. Whatever mode is set is
/// restored by the returned `restore` (call it before exiting).
public enum Terminal {
    public static var inputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Raw mode: bytes arrive one by one, no echo, no signals from Ctrl-C
    /// (the editor treats it as "clear the line"). Output processing stays on.
    public static func enterRawMode() -> (() -> Void)? {
        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else { return nil }
        var raw = original
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL | BRKINT | INPCK | ISTRIP)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0 else { return nil }
        return { _ = withUnsafePointer(to: original) { tcsetattr(STDIN_FILENO, TCSAFLUSH, $0) } }
    }

    /// Asks for a secret: on a terminal with echo off (the prompt on standard
    /// error), else one line of standard input. Nil at end of input.
    public static func readSecret(prompt: String) -> String? {
        guard inputIsTerminal else { return readLine(fd: STDIN_FILENO) }
        writeError(prompt)
        var original = termios()
        let haveAttributes = tcgetattr(STDIN_FILENO, &original) == 0
        if haveAttributes {
            var quiet = original
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ECHONL)
            _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        }
        defer { if haveAttributes { _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &original) } }
        return readLine(fd: STDIN_FILENO)
    }

    /// One line read byte by byte, so nothing after it is consumed (the rest
    /// of standard input may be a template for `template put -`).
    public static func readLine(fd: Int32) -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = systemRead(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == 0x0A { break }
            bytes.append(byte)
        }
        if bytes.last == 0x0D { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads what standard input has now (at least one byte, blocking); empty at end.
    public static func readInput() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { systemRead(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            return count <= 0 ? [] : Array(buffer[..<count])
        }
    }

    public static func write(_ text: String) {
        writeAll(STDOUT_FILENO, Array(text.utf8))
    }

    public static func writeError(_ text: String) {
        writeAll(STDERR_FILENO, Array(text.utf8))
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }

    /// Which of standard input and `other` can be read within `timeout`
    /// (nil: wait for ever).
    public static func waitForInput(or other: Int32, timeout: Duration?) -> (input: Bool, other: Bool) {
        var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: other, events: Int16(POLLIN), revents: 0)]
        let milliseconds = timeout.map {
            Int32(clamping: $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000)
        } ?? -1
        while true {
            let result = fds.withUnsafeMutableBufferPointer { systemPoll($0.baseAddress!, 2, milliseconds) }
            if result < 0 && errno == EINTR { continue }
            if result <= 0 { return (false, false) }
            return (fds[0].revents != 0, fds[1].revents != 0)
        }
    }
}

// The free functions shadowed by Terminal's own method names.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buffer, count) }
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
