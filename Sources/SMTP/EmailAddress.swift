/// A mailbox address as this client accepts it, checked before it goes anywhere near a
/// header or a command line: `local@domain`, where the local part is a dot-atom of ASCII
/// `atext` (RFC 5322 §3.2.3, §3.4.1) and the domain is dot-separated letters, digits and
/// hyphens (RFC 5321 §4.1.2 `Domain`). Quoted local parts, address literals and non-ASCII
/// addresses (which need SMTPUTF8, RFC 6531) are refused; so is anything with a space,
/// a control character (CR and LF above all: no header or command injection), `<`, `>`
/// or a second `@`.
public struct EmailAddress: Sendable, Equatable, CustomStringConvertible {
    public let text: String

    /// RFC 5321 §4.5.3.1.1 (local part ≤ 64 octets) and the 254 octets a path leaves for
    /// an address (RFC 5321 §4.5.3.1.3: 256 for the path, less the angle brackets).
    public static let maxLength = 254
    public static let maxLocalLength = 64

    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count <= Self.maxLength, bytes.count(where: { $0 == UInt8(ascii: "@") }) == 1,
              let at = bytes.firstIndex(of: UInt8(ascii: "@")) else { return nil }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard local.count <= Self.maxLocalLength,
              Self.isDotSeparated(local, Self.isAtext),
              Self.isDotSeparated(domain, { Self.isLetterOrDigit($0) || $0 == UInt8(ascii: "-") }) else { return nil }
        self.text = text
    }

    public var description: String { text }

    /// Non-empty parts separated by single dots, no dot first or last (a dot-atom,
    /// RFC 5322 §3.2.3), each byte allowed by `allowed`.
    private static func isDotSeparated(_ bytes: ArraySlice<UInt8>, _ allowed: (UInt8) -> Bool) -> Bool {
        guard !bytes.isEmpty else { return false }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(allowed) }
    }

    static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// RFC 5322 §3.2.3: `atext = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" /
    /// "+" / "-" / "/" / "=" / "?" / "^" / "_" / "`" / "{" / "|" / "}" / "~"`.
    static func isAtext(_ byte: UInt8) -> Bool {
        isLetterOrDigit(byte) || Array("!#$%&'*+-/=?^_`{|}~".utf8).contains(byte)
    }
}
