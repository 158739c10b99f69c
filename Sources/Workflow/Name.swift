/// The naming rule shared by templates, roles, attributes, documents, stages,
/// clocks, states and transitions: `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`, at most
/// 64 characters. Names appear in commands and URLs, so they stay plain.
public enum Name {
    static let rule = "names are lowercase letters and digits, start with a letter, may join words with single hyphens, and have at most \(TemplateLimits.maxNameLength) characters"

    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= TemplateLimits.maxNameLength,
              isLetter(first), bytes.last != UInt8(ascii: "-") else { return false }
        var previousWasHyphen = false
        for byte in bytes {
            if byte == UInt8(ascii: "-") {
                if previousWasHyphen { return false }
                previousWasHyphen = true
            } else if isLetter(byte) || (byte >= 0x30 && byte <= 0x39) {
                previousWasHyphen = false
            } else {
                return false
            }
        }
        return true
    }

    private static func isLetter(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }

    /// The candidate within two edits of `word`, if any: the likely intended key.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let best = candidates
            .map { ($0, editDistance(Array(word.utf8), Array($0.utf8))) }
            .min { $0.1 < $1.1 }
        guard let best, best.1 <= 2, best.1 < word.utf8.count else { return nil }
        return best.0
    }

    /// Levenshtein distance; inputs are short keys, so the quadratic cost is nothing.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.count > 80 || b.count > 80 { return Int.max }  // long junk is not a typo
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = a[i - 1] == b[j - 1] ? previous : 1 + min(previous, row[j], row[j - 1])
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}
