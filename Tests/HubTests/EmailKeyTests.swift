import Foundation
import Testing
@testable import Hub

@Suite("Email keys")
struct EmailKeyTests {
    /// The full definition, which the ASCII shortcut must always agree with.
    static func normalized(_ email: String) -> String {
        email.precomposedStringWithCanonicalMapping.lowercased().precomposedStringWithCanonicalMapping
    }

    @Test func asciiTakesTheShortcutToTheSameKey() {
        var ascii = (0..<128).map { String(UnicodeScalar(UInt8($0))) }
        ascii += ["Ann@Example.COM", "ann@example.com", "A.B+c_D@X-Y.io", "", " MiXeD cAsE \t\u{7F}"]
        for email in ascii {
            #expect(EmailKey.of(email) == Self.normalized(email), "\(email.unicodeScalars.map(\.value))")
        }
    }

    @Test func otherTextIsNormalizedAsBefore() {
        for email in ["\u{C9}LODIE@x.io", "e\u{301}lodie@X.IO", "ÉLODIE@X.IO", "İstanbul@x.tr", "STRASSE@ß.de", "ǅemal@x.io", "Ω@Ω.gr"] {
            #expect(EmailKey.of(email) == Self.normalized(email), "\(email)")
        }
        #expect(EmailKey.of("E\u{301}LODIE@x.io") == EmailKey.of("\u{E9}lodie@X.io"))
    }
}
