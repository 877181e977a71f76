import Foundation

/// One key per email address, however it was written: Unicode-lowercased and in NFC
/// (Unicode Standard Annex #15), so `ÉLODIE@…`, `élodie@…` and `e\u{301}lodie@…` are one
/// person. Stored beside the address as written, compared on both backends by this alone:
/// SQLite's NOCASE folds ASCII only, and PostgreSQL's lower() depends on the database's
/// locale. Foundation's normalization does the NFC; nothing else here needs Foundation.
public enum EmailKey {
    public static func of(_ email: String) -> String {
        // ASCII is already in NFC and lowercases to ASCII: the same key, without the two
        // normalizations (microseconds each; the hub derives a key per email it indexes).
        if email.utf8.allSatisfy({ $0 < 0x80 }) { return email.lowercased() }
        return email.precomposedStringWithCanonicalMapping.lowercased().precomposedStringWithCanonicalMapping
    }
}
