/// The shell's line editor as a pure state machine: a key goes in, the new
/// buffer and cursor come out with what the terminal should do. No terminal
/// is touched here, so every key is testable.
public struct LineEditor: Sendable {
    /// What the caller does after a key.
    public enum Action: Sendable, Hashable {
        /// Redraw the line (`render(prompt:)`).
        case redraw
        /// The line is done: run it. The editor is already empty again.
        case submit(String)
        /// Ctrl-C: the line was dropped; show a fresh prompt.
        case cancel
        /// Ctrl-D on an empty line: leave the shell.
        case exit
        /// Nothing can be done (left at the start, no older history…): ring the bell.
        case bell
        /// Nothing changed.
        case none
    }

    public private(set) var buffer: [Character] = []
    /// 0…buffer.count; the character the cursor is on is `buffer[cursor]`.
    public private(set) var cursor = 0
    public private(set) var history: History
    /// While browsing history: the entry shown (nil: the line being written).
    private var historyIndex: Int?
    /// The unfinished line, kept while browsing history.
    private var draft: [Character] = []

    public init(history: History = History()) {
        self.history = history
    }

    public var line: String { String(buffer) }

    public mutating func handle(_ key: Key) -> Action {
        switch key {
        case .text(let text):
            // Pasted newlines would submit half a paste: they become spaces.
            let characters = text.map { $0 == "\n" || $0 == "\r" ? " " : $0 }
            buffer.insert(contentsOf: characters, at: cursor)
            cursor += characters.count
            return .redraw
        case .left:
            guard cursor > 0 else { return .bell }
            cursor -= 1
            return .redraw
        case .right:
            guard cursor < buffer.count else { return .bell }
            cursor += 1
            return .redraw
        case .home:
            cursor = 0
            return .redraw
        case .end:
            cursor = buffer.count
            return .redraw
        case .backspace:
            guard cursor > 0 else { return .bell }
            cursor -= 1
            buffer.remove(at: cursor)
            return .redraw
        case .delete:
            guard cursor < buffer.count else { return .bell }
            buffer.remove(at: cursor)
            return .redraw
        case .killToEnd:
            buffer.removeSubrange(cursor...)
            return .redraw
        case .killToStart:
            buffer.removeSubrange(..<cursor)
            cursor = 0
            return .redraw
        case .up: return older()
        case .down: return newer()
        case .enter:
            let line = self.line
            history.add(line)
            reset()
            return .submit(line)
        case .interrupt:
            reset()
            return .cancel
        case .endOfInput:
            if buffer.isEmpty { return .exit }
            return handle(.delete)
        case .ignored:
            return .none
        }
    }

    /// The terminal bytes that redraw the line: back to column 0, prompt and
    /// buffer, clear the rest, then move the cursor back to its place.
    public func render(prompt: String) -> String {
        var out = "\r" + prompt + line + "\u{1B}[K"
        let back = buffer.count - cursor
        if back > 0 { out += "\u{1B}[\(back)D" }
        return out
    }

    private mutating func older() -> Action {
        let entries = history.entries
        let next = (historyIndex ?? entries.count) - 1
        guard next >= 0 else { return .bell }
        if historyIndex == nil { draft = buffer }
        historyIndex = next
        show(Array(entries[next]))
        return .redraw
    }

    private mutating func newer() -> Action {
        guard let index = historyIndex else { return .bell }
        if index + 1 < history.entries.count {
            historyIndex = index + 1
            show(Array(history.entries[index + 1]))
        } else {
            historyIndex = nil
            show(draft)
        }
        return .redraw
    }

    private mutating func show(_ characters: [Character]) {
        buffer = characters
        cursor = characters.count
    }

    private mutating func reset() {
        buffer = []
        cursor = 0
        historyIndex = nil
        draft = []
    }
}
