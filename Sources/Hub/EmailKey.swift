import Foundation

/// One key per email address, however it was written: Unicode-lowercased and in NFC
/// (Unicode Standard Annex #15), so `ÉLODIE@…`, `élodie@…` and `e\u{301}lodie@…` are one
/// person. Stored beside the address as written, compared on both backends by this alone:
/// SQLite's NOCASE folds ASCII only, and PostgreSQL's lower() depends on the database's
/// locale. Foundation's normalization does the NFC; nothing else here needs Foundation.
public enum EmailKey {
    public static func of(_ email: String) -> String {
        email.precomposedStringWithCanonicalMapping.lowercased().precomposedStringWithCanonicalMapping
    }
}
