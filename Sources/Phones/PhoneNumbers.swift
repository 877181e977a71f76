import CPhoneNumber

/// Phone numbers kept and compared as E.164 ("+254712345678"), read by Google's
/// libphonenumber (its metadata for every region's numbering plan) through the
/// `CPhoneNumber` shim, rather than by rules of our own.
///
/// A text is a number when libphonenumber parses it and finds it *possible* (a length its
/// region's plan allows, with its area code): possible rather than valid, so numbers from
/// ranges newer than the installed metadata, and reserved test ranges, still compare equal.
/// Extensions, letters (vanity spellings), NUL bytes, text over 64 bytes, and numbers whose
/// E.164 form libphonenumber would read as another number are refused. About 15-20 us a
/// call (two libphonenumber parses): normalize when a number is stored or searched, not
/// per message.
/// Safe to use from several threads at once.
public struct PhoneNormalizer: Sendable {
    /// The longest text `e164(_:)` reads, in UTF-8 bytes; longer text is refused before
    /// reaching C++.
    public static let maxInputBytes = Int(LH_PHONE_MAX_INPUT)

    /// The region for numbers written without "+country" (upper-case ISO 3166 alpha-2),
    /// or nil: then only "+country..." numbers are read.
    public let defaultRegion: String?

    /// Nil when `defaultRegion` is not a region libphonenumber knows ("KE", "ke", "GB" are;
    /// "ZZ", "UK", "001", "" are not).
    public init?(defaultRegion: String?) {
        guard let region = defaultRegion else {
            self.defaultRegion = nil
            return
        }
        guard region.utf8.count == 2, lh_phone_region_known(region) == 1 else { return nil }
        self.defaultRegion = region.uppercased()
    }

    /// The E.164 form of `text` ("0712345678" with region KE: "+254712345678"), or nil
    /// when it is not a phone number.
    public func e164(_ text: String) -> String? {
        var text = text
        let count = text.utf8.count
        guard count > 0, count <= Self.maxInputBytes else { return nil }
        return text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(LH_PHONE_E164_CAPACITY)) { out in
                    let written: CInt
                    if let region = defaultRegion {
                        written = region.withCString { lh_phone_e164(chars.baseAddress, chars.count, $0, out.baseAddress, out.count) }
                    } else {
                        written = lh_phone_e164(chars.baseAddress, chars.count, nil, out.baseAddress, out.count)
                    }
                    guard written > 0 else { return nil }
                    return String(decoding: UnsafeRawBufferPointer(start: out.baseAddress, count: Int(written)), as: UTF8.self)
                }
            }
        }
    }
}
