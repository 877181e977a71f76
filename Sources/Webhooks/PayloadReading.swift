import Hub
import JSON

/// How the providers write amounts and currencies, read one way for a webhook's payload and
/// for an answer of the provider's API (`Providers`), so both give the same minor units.
public enum PayloadReading {
    /// Integer minor units (kobo, cents), as Paystack and Stripe send amounts; nil when it is
    /// not a non-negative integer that fits.
    public static func minorUnits(_ value: JSONValue?) -> Money? {
        guard let text = value?.scalarText, let units = Int64(text), units >= 0 else { return nil }
        return Money(minorUnits: units)
    }

    /// A decimal amount (M-Pesa's `Amount`, NOWPayments' `price_amount`) in its currency's
    /// minor units; nil when it is not one, or has more places than the currency.
    public static func decimalAmount(_ value: JSONValue?, currency: String?) -> Money? {
        guard let text = value?.scalarText else { return nil }
        let places = currency.flatMap(Currency.init(code:))?.exponent ?? 2
        guard let money = Money(decimal: text, fractionDigits: places), money.minorUnits >= 0 else { return nil }
        return money
    }

    /// A provider's currency code as ISO 4217 writes it ("ngn" → "NGN"); a code ISO does not
    /// know (a crypto coin) is kept as sent, upper-cased.
    public static func currencyCode(_ value: JSONValue?) -> String? {
        guard let text = value?.scalarText, !text.isEmpty, text.utf8.count <= 16 else { return nil }
        return Currency(code: text)?.code ?? text.uppercased()
    }
}
