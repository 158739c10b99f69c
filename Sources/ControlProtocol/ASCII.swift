/// Byte constants and classes of the wire format. The parsers work on bytes,
/// not `Character`s: grapheme breaking is slow and every delimiter is ASCII.
enum ASCII {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let plus: UInt8 = 0x2B
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let equals: UInt8 = 0x3D
    static let backslash: UInt8 = 0x5C
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39

    static let crlf: [UInt8] = [cr, lf]

    @inline(__always) static func isBlank(_ b: UInt8) -> Bool { b == space || b == tab }

    /// `key = 1*( a-z / A-Z / 0-9 / "-" / "_" / "." )`
    @inline(__always) static func isKeyByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x61...0x7A, 0x41...0x5A, 0x30...0x39, minus, 0x5F, dot: true
        default: false
        }
    }

    static func isValidKey(_ key: some Collection<UInt8>) -> Bool {
        !key.isEmpty && key.allSatisfy(isKeyByte)
    }

    static func isValidKey(_ key: String) -> Bool { isValidKey(key.utf8) }

    @inline(__always) static func uppercased(_ b: UInt8) -> UInt8 { (0x61...0x7A).contains(b) ? b - 0x20 : b }
}
