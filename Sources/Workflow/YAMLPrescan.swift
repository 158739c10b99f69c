/// A single linear pass over the raw text, run before Yams sees it, that
/// rejects input Yams cannot be trusted with.
///
/// - **Anchors** (`&name`) are refused outright. Templates never need them,
///   and they are the root of the "billion laughs": Yams substitutes an alias
///   by the anchored node, so composing is linear, but hashing or walking the
///   result is exponential — and Yams hashes every mapping KEY to find
///   duplicates, so `? *bomb : x` would hang inside Yams before we regain
///   control. Without anchors every alias is undefined, and Yams stops at the
///   first one with an error we report. The scan is deliberately coarse: any
///   `&` that could start an anchor (after a blank, a line start or one of
///   `[{,:?`, followed by an anchor character) counts, even inside quoted
///   text. It can reject an odd title such as `"see &ref"`, never miss an anchor.
/// - **Nesting** deeper than `TemplateLimits.maxNestingDepth` is refused, so
///   the recursive composer in Yams never runs deep on a small thread stack.
///   The depth is over-estimated (brackets anywhere, plus two levels per
///   indentation step, plus `- `/`? ` entries opened on the line).
/// - **NUL bytes** are refused with their position (libyaml would only say
///   "control characters are not allowed").
enum YAMLPrescan {
    struct Finding: Equatable {
        var position: Position
        var message: String
    }

    static func check(_ utf8: some Collection<UInt8>) -> Finding? {
        var line = 1, column = 1
        var previous: UInt8 = 0x0A  // as if the text began after a line break
        var flowDepth = 0
        var indentStack: [Int] = []
        var atLineStart = true
        var indent = 0
        var openedOnLine = 0  // `- ` and `? ` entries opened before this line's content
        var inLeadingIndicators = false

        var iterator = utf8.makeIterator()
        var current = iterator.next()
        while let byte = current {
            let next = iterator.next()
            let here = Position(line: line, column: column)

            if byte == 0 {
                return Finding(position: here, message: "NUL byte in template text")
            }
            if atLineStart {
                if byte == 0x20 {
                    indent += 1
                } else if byte != 0x0A && byte != 0x0D && byte != 0x23 /* # */ {
                    // First character of a content line: update the indentation stack.
                    atLineStart = false
                    while let top = indentStack.last, top > indent { indentStack.removeLast() }
                    if indentStack.last != indent { indentStack.append(indent) }
                    openedOnLine = 0
                    inLeadingIndicators = true
                } else if byte == 0x23 {
                    atLineStart = false
                    inLeadingIndicators = false
                    openedOnLine = 0
                }
            }
            if inLeadingIndicators {
                if (byte == 0x2D || byte == 0x3F) && (next == 0x20 || next == 0x0A || next == nil) {
                    openedOnLine += 1  // `- ` or `? ` opens one more block level
                } else if byte != 0x20 && byte != 0x2D && byte != 0x3F {
                    inLeadingIndicators = false
                }
            }

            switch byte {
            case 0x5B, 0x7B:  // [ {
                flowDepth += 1
            case 0x5D, 0x7D:  // ] }
                flowDepth = max(0, flowDepth - 1)
            case 0x26:  // &
                if canPrecedeNode(previous), let next, isAnchorCharacter(next) {
                    return Finding(position: here, message:
                        "anchors (&name) and aliases (*name) are not supported in templates; write the value out")
                }
            default:
                break
            }
            let depth = flowDepth + 2 * indentStack.count + openedOnLine
            if depth > TemplateLimits.maxNestingDepth {
                return Finding(position: here, message:
                    "nesting deeper than \(TemplateLimits.maxNestingDepth) levels; templates never need that")
            }

            if byte == 0x0A {
                line += 1; column = 1
                atLineStart = true; indent = 0
                inLeadingIndicators = false
            } else if byte & 0xC0 != 0x80 {
                column += 1  // count Unicode scalars, not bytes, as libyaml does
            }
            if byte & 0xC0 != 0x80 || byte == 0x0A { previous = byte }
            current = next
        }
        return nil
    }

    /// Characters after which a YAML node (and so an anchor) may begin.
    private static func canPrecedeNode(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x09, 0x0A, 0x0D, 0x5B, 0x7B, 0x2C, 0x3A, 0x3F: return true  // blank, newline, [ { , : ?
        case 0xEF: return true  // lead byte of a byte-order mark (and of a few rare characters)
        default: return false
        }
    }

    /// libyaml anchor names: ASCII letters, digits, `_` and `-`.
    private static func isAnchorCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F, 0x2D: return true
        default: return false
        }
    }
}
