/// `Sec-WebSocket-Extensions` (RFC 6455 §9.1): a comma-separated list of extensions, each
/// `name; param; param=value`, a value being a token or a quoted string (RFC 7692 §5.1
/// allows quoted values, `"10"`). Nil when the header is not well formed.
public enum ExtensionHeader {
    public struct Extension: Equatable, Sendable {
        public var name: String
        public var parameters: [(name: String, value: String?)]

        public static func == (a: Extension, b: Extension) -> Bool {
            a.name == b.name && a.parameters.count == b.parameters.count
                && zip(a.parameters, b.parameters).allSatisfy { $0.name == $1.name && $0.value == $1.value }
        }
    }

    public static func parse(_ values: [String]) -> [Extension]? {
        var out: [Extension] = []
        for value in values {
            var scanner = Scanner(Array(value.utf8))
            while true {
                scanner.skipSpaces()
                if scanner.atEnd { break }
                guard let name = scanner.token() else { return nil }
                var ext = Extension(name: name, parameters: [])
                scanner.skipSpaces()
                while scanner.take(UInt8(ascii: ";")) {
                    scanner.skipSpaces()
                    guard let param = scanner.token() else { return nil }
                    scanner.skipSpaces()
                    var paramValue: String?
                    if scanner.take(UInt8(ascii: "=")) {
                        scanner.skipSpaces()
                        guard let v = scanner.quotedString() ?? scanner.token() else { return nil }
                        paramValue = v
                        scanner.skipSpaces()
                    }
                    ext.parameters.append((param, paramValue))
                }
                out.append(ext)
                if scanner.atEnd { break }
                guard scanner.take(UInt8(ascii: ",")) else { return nil }
            }
        }
        return out
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index >= bytes.count }

        mutating func skipSpaces() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// tchar+ (RFC 9110 §5.6.2).
        mutating func token() -> String? {
            let start = index
            while index < bytes.count, Self.isTokenByte(bytes[index]) { index += 1 }
            return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
        }

        /// DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4).
        mutating func quotedString() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            var out: [UInt8] = []
            while index < bytes.count {
                let b = bytes[index]
                index += 1
                if b == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
                if b == UInt8(ascii: "\\") {
                    guard index < bytes.count else { return nil }
                    out.append(bytes[index])
                    index += 1
                } else {
                    out.append(b)
                }
            }
            return nil
        }

        static func isTokenByte(_ b: UInt8) -> Bool {
            switch b {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
            case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
            default: return false
            }
        }
    }
}
