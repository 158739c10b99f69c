/// A single linear pass over the raw text, run before libyaml sees it, that
/// refuses what is cheapest to refuse early, with a precise position:
///
/// - **Nesting** deeper than `TemplateLimits.maxNestingDepth` is refused before
///   any parsing work. The depth is over-estimated (brackets anywhere, plus two
///   levels per indentation step, plus `- `/`? ` entries opened on the line), so
///   it trips early on hostile input. `YAMLComposer` enforces the exact limit
///   as well, so nothing depends on this estimate being right.
/// - **NUL bytes** are refused with their position (libyaml would only say
///   "control characters are not allowed").
///
/// Anchors and aliases are not this pass's business any more: the composer
/// refuses them at the parser event, so quoted text such as `"see &ref"` is fine.
enum YAMLPrescan {
    struct Finding: Equatable {
        var position: Position
        var message: String
    }

    static func check(_ utf8: some Collection<UInt8>) -> Finding? {
        var line = 1, column = 1
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
            current = next
        }
        return nil
    }
}
