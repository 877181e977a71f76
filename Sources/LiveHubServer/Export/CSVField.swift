/// One field of a CSV record (RFC 4180 §2), with the guard against CSV injection.
///
/// RFC 4180: fields are separated by commas and records end with CRLF (§2.1, §2.4); a
/// field holding a comma, a double quote, CR or LF is enclosed in double quotes (§2.6),
/// and a double quote inside it is written twice (§2.7).
///
/// CSV injection (OWASP, "CSV Injection"): a spreadsheet that opens the file runs a cell
/// starting with `=`, `+`, `-` or `@` as a formula (tab and CR lead to the same through
/// some importers), and text here comes from shops' customers (a name, a payment error).
/// Such a text field is written with a `'` before it, which spreadsheets show as text.
/// Numbers, amounts and times are written by the hub and are never prefixed (`-5.00`
/// stays a number).
enum CSVField {
    static let separator = UInt8(ascii: ",")
    static let recordEnd: [UInt8] = [0x0D, 0x0A]

    /// Text from outside the hub: guarded, then quoted if it needs to be.
    static func appendText(_ text: String, to out: inout [UInt8]) {
        let utf8 = text.utf8
        let guarded = utf8.first.map(startsFormula) ?? false
        append(utf8, prefix: guarded ? UInt8(ascii: "'") : nil, to: &out)
    }

    /// What the hub wrote itself (digits, decimals, ISO times): quoted if it needs to be,
    /// never prefixed.
    static func appendPlain(_ text: String, to out: inout [UInt8]) {
        append(text.utf8, prefix: nil, to: &out)
    }

    /// `=`, `+`, `-`, `@`, tab or CR first (OWASP's list).
    static func startsFormula(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "=") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "@")
            || byte == 0x09 || byte == 0x0D
    }

    /// RFC 4180 §2.6: a comma, a double quote, CR or LF needs the field enclosed.
    static func needsQuotes(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == 0x0D || byte == 0x0A
    }

    private static func append(_ utf8: String.UTF8View, prefix: UInt8?, to out: inout [UInt8]) {
        guard utf8.contains(where: needsQuotes) else {
            if let prefix { out.append(prefix) }
            out.append(contentsOf: utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        if let prefix { out.append(prefix) }
        for byte in utf8 {
            // §2.7: a double quote inside a quoted field is escaped by another before it.
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
