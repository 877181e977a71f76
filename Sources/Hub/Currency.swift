/// An ISO 4217 currency: its code and its exponent, the number of digits after the point
/// of its minor unit (USD 2: cents; JPY 0; KWD 3: fils). Every amount a payment carries is
/// integer minor units of its currency, so 5000.00 NGN is 500000 and 1000 JPY is 1000; the
/// providers count the same way (Paystack kobo, Stripe's smallest unit).
public struct Currency: Sendable, Hashable, CustomStringConvertible {
    public let code: String
    public let exponent: Int

    /// The code in any case ("ngn", "NGN"); nil when ISO 4217 has no such active currency.
    public init?(code text: String) {
        guard text.utf8.count == 3 else { return nil }
        let code = text.uppercased()
        guard let exponent = Self.exponents[code] else { return nil }
        self.code = code
        self.exponent = exponent
    }

    public var description: String { code }

    /// "5000.00" in NGN → 500000. Refuses what Money's parser refuses, and digits beyond
    /// the currency's exponent that are not zeros ("1.5" JPY: money is never rounded).
    public func minorUnits(_ decimal: String) -> Money? {
        Money(decimal: decimal, fractionDigits: exponent)
    }

    /// 500000 → "5000.00"; 1000 JPY → "1000".
    public func text(_ amount: Money) -> String {
        amount.text(fractionDigits: exponent)
    }

    /// ISO 4217's list of active codes (amendment 179, 2024), by exponent. Codes without a
    /// minor unit in the standard (XAU, XDR, …) are not money a shop is paid in.
    static let exponents: [String: Int] = {
        var table: [String: Int] = [:]
        let two = """
            AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF \
            CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ \
            GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK \
            MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB \
            SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD \
            USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL
            """
        for code in two.split(separator: " ") { table[String(code)] = 2 }
        for code in "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(separator: " ") { table[String(code)] = 0 }
        for code in "BHD IQD JOD KWD LYD OMR TND".split(separator: " ") { table[String(code)] = 3 }
        for code in "CLF UYW".split(separator: " ") { table[String(code)] = 4 }
        return table
    }()
}

/// Amounts per currency, never added across: a report's totals.
public struct CurrencyTotals: Sendable, Equatable {
    public private(set) var amounts: [String: Money] = [:]

    public init() {}

    public mutating func add(_ amount: Money, currency: String) {
        amounts[currency] = (amounts[currency] ?? .zero) + amount
    }

    /// `first` (the shop's currency) first, then the others by code.
    public func ordered(first: String) -> [(currency: String, amount: Money)] {
        amounts.sorted { a, b in a.key == first ? b.key != first : b.key == first ? false : a.key < b.key }
            .map { (currency: $0.key, amount: $0.value) }
    }
}
