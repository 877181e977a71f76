import Testing
@testable import Hub

@Suite("Currencies and the provider's word")
struct CurrencyTests {
    @Test func eachCurrencyReadsAndWritesItsOwnPlaces() {
        let ngn = Currency(code: "ngn")!, jpy = Currency(code: "JPY")!, kwd = Currency(code: "KWD")!
        #expect(ngn.code == "NGN" && ngn.exponent == 2 && jpy.exponent == 0 && kwd.exponent == 3)
        #expect(ngn.minorUnits("5000.00")?.minorUnits == 500_000 && ngn.text(Money(minorUnits: 500_000)) == "5000.00")
        #expect(jpy.minorUnits("1000")?.minorUnits == 1000 && jpy.text(Money(minorUnits: 1000)) == "1000")
        #expect(jpy.minorUnits("1000.0")?.minorUnits == 1000)
        #expect(jpy.minorUnits("1000.5") == nil, "a yen has no fraction: never rounded")
        #expect(kwd.minorUnits("1.25")?.minorUnits == 1250 && kwd.text(Money(minorUnits: 1250)) == "1.250")
        #expect(kwd.minorUnits("1.2345") == nil)
        #expect(Money(minorUnits: -5).text(fractionDigits: 3) == "-0.005")
        for bad in ["", "US", "USDX", "XAU", "BTC", "usd "] { #expect(Currency(code: bad) == nil, "\(bad)") }
    }

    @Test func totalsNeverAddTwoCurrenciesAndTheShopsComesFirst() {
        var totals = CurrencyTotals()
        totals.add(Money(minorUnits: 500_000), currency: "NGN")
        totals.add(Money(minorUnits: 9900), currency: "USD")
        totals.add(Money(minorUnits: 100_000), currency: "KES")
        totals.add(Money(minorUnits: 100), currency: "USD")
        let ordered = totals.ordered(first: "USD")
        #expect(ordered.map(\.currency) == ["USD", "KES", "NGN"])
        #expect(ordered.map(\.amount.minorUnits) == [10_000, 100_000, 500_000])
    }

    private func initialized(_ amount: Int64, _ currency: String) -> Payment {
        var p = Payment(first: PaymentEvent(reference: "r1", provider: "paystack", stage: .initialized, receivedAt: 1))
        p.record(PaymentEvent(reference: "r1", provider: "paystack", stage: .initialized, amount: Money(minorUnits: amount),
                              currency: currency, userId: "u1", receivedAt: 1))
        return p
    }

    private func provider(_ amount: Int64?, _ currency: String?, partial: Bool = false, at time: Int64 = 2) -> PaymentEvent {
        var e = PaymentEvent(reference: "r1", provider: "paystack", stage: .webhookReceived, amount: amount.map(Money.init(minorUnits:)),
                             currency: currency, receivedAt: time)
        e.fromProvider = true
        e.providerReference = "3341"
        e.partial = partial
        return e
    }

    @Test func aProviderAmountThatDiffersIsAMismatchNotAGap() {
        var p = initialized(500_000, "NGN")
        p.record(provider(10_000, "NGN"))
        #expect(p.problem == .amountMismatch && p.mismatchSince == 2)
        #expect(p.amount?.minorUnits == 500_000 && p.providerAmount?.minorUnits == 10_000, "the shop's amount is kept beside the provider's")
        #expect(!p.awaitsCredit, "never a gap to be credited at the shop's amount")
        #expect(p.providerReference == "3341")
        p.resolve(note: "customer paid 100 NGN", by: "ops", at: 3)
        #expect(p.problem == nil && p.state == .resolved)
    }

    @Test func anotherCurrencyOrAPartialPaymentIsAMismatchTheSameAmountIsNot() {
        var currency = initialized(9900, "USD")
        currency.record(provider(9900, "EUR"))
        #expect(currency.problem == .amountMismatch)
        var partial = initialized(9900, "USD")
        partial.record(provider(nil, "USD", partial: true))
        #expect(partial.problem == .amountMismatch && partial.partial)
        var agreed = initialized(9900, "USD")
        agreed.record(provider(9900, "USD"))
        #expect(agreed.problem == nil && agreed.awaitsCredit)
        // Said by the provider first, the shop's initialize after: compared all the same.
        var late = Payment(first: provider(10_000, "NGN"))
        late.record(provider(10_000, "NGN"))
        late.record(PaymentEvent(reference: "r1", provider: "paystack", stage: .initialized, amount: Money(minorUnits: 500_000),
                                 currency: "NGN", receivedAt: 3))
        #expect(late.problem == .amountMismatch && late.shownAmount.amount?.minorUnits == 500_000)
    }

    @Test func resolvedIsAStateUntilACredit() {
        var p = initialized(9900, "USD")
        p.record(provider(9900, "USD"))
        #expect(p.state == .webhookReceived)
        p.resolve(note: nil, by: "ops", at: 5)
        #expect(p.state == .resolved && p.status == .webhookReceived)
        p.record(PaymentEvent(reference: "r1", provider: "paystack", stage: .credited, receivedAt: 6))
        #expect(p.state == .credited)
    }
}
