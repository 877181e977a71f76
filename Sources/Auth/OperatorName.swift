/// An operator's name: what the audit log, the console's header and the CLI show, so
/// printable ASCII letters, digits and `._@-` only (no spaces, no markup, no control).
public enum OperatorName {
    public static let maxLength = 64

    public static func isValid(_ name: String) -> Bool {
        (1...maxLength).contains(name.utf8.count)
            && name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || "._@-".utf8.contains($0) }
    }

    public static func checked<E: Error>(_ name: String, invalid: (String) -> E) throws(E) -> String {
        guard isValid(name) else { throw invalid("a name is 1 to \(maxLength) letters, digits, '.', '_', '@' or '-'") }
        return name
    }
}
