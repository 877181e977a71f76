import Hub
import JSON
import Records

/// Payments as JSON. Every amount is written with its currency's places (`Currency`:
/// "5000.00" NGN, "1000" JPY, "1.250" KWD), as an exact decimal number, and no figure adds
/// two currencies.
extension MoneyMessages {
    /// The amount's JSON number text in `code`'s minor unit (two places when unknown).
    static func decimal(_ amount: Money, _ code: String?) -> String {
        code.flatMap(Currency.init(code:)).map { $0.text(amount) } ?? amount.description
    }

    static func payment(_ p: Payment, into json: inout JSONWriter) {
        let shown = p.shownAmount
        json.beginObject()
        json.field("reference", p.reference)
        json.field("provider", p.provider)
        // Where it is in the one vocabulary (`resolved` when closed by hand, not credited);
        // `stage` is the furthest stage a report gave.
        json.field("status", p.state.rawValue)
        json.field("stage", p.status.rawValue)
        json.key("amount"); json.raw(shown.amount.map { decimal($0, shown.currency) })
        json.field("currency", shown.currency)
        json.key("provider_amount"); json.raw(p.providerAmount.map { decimal($0, p.providerCurrency) })
        json.field("provider_currency", p.providerCurrency)
        json.field("provider_reference", p.providerReference)
        json.key("partial"); json.bool(p.partial)
        json.field("user_id", p.userId)
        json.field("email", p.email)
        json.field("phone", p.phone)
        json.field("plan", p.plan)
        json.field("error_message", p.errorMessage)
        json.key("gap"); json.bool(p.isGap)
        json.field("gap_since", p.gapSince.map(Timestamp.iso8601(milliseconds:)))
        json.field("became_gap_at", p.becameGapAt.map(Timestamp.iso8601(milliseconds:)))
        json.field("kind", p.problem?.rawValue)
        json.key("unmatched"); json.bool(p.isUnmatched)
        json.key("amount_mismatch"); json.bool(p.isMismatched)
        json.field("mismatch_since", p.mismatchSince.map(Timestamp.iso8601(milliseconds:)))
        json.field("resolved_at", p.resolvedAt.map(Timestamp.iso8601(milliseconds:)))
        json.field("resolution", p.resolutions.last { $0.kind == .resolved }?.note)
        json.key("resolutions")
        json.beginArray()
        for r in p.resolutions {
            json.beginObject()
            json.field("at", Timestamp.iso8601(milliseconds: r.at))
            json.field("by", r.by)
            json.field("note", r.note)
            json.field("kind", r.kind.rawValue)
            json.endObject()
        }
        json.endArray()
        json.key("stages")
        json.beginObject()
        for stage in Payment.Stage.allCases {
            if let at = p.stageTimes[stage] { json.field(stage.rawValue, Timestamp.iso8601(milliseconds: at)) }
        }
        json.endObject()
        json.field("created_at", Timestamp.iso8601(milliseconds: p.createdAt))
        json.field("updated_at", Timestamp.iso8601(milliseconds: p.updatedAt))
        json.endObject()
    }

    static func payment(_ p: Payment) -> [UInt8] { one(p, payment) }
    static func payments(_ list: [Payment]) -> [UInt8] { array(list, payment) }

    /// `GET /api/payments/stats`: counts in the words `?status=` takes (`PaymentFilter.Status`),
    /// and the confirmed money per currency: `total_amount` in the shop's currency
    /// (`--currency`), `totals` every currency, the shop's first.
    static func paymentStats(_ stats: PaymentStats, shopCurrency: String) -> [UInt8] {
        let counts = stats.byState
        func count(_ state: Payment.State) -> Int { counts[state] ?? 0 }
        var json = JSONWriter()
        json.beginObject()
        json.field("total", stats.total)
        json.field("pending", count(.initialized))
        json.field("initialized", count(.initialized))
        // The provider confirmed it, not yet credited; `webhook_received` is the same money one step on.
        json.field("completed", count(.completed) + count(.webhookReceived))
        json.field("webhook_received", count(.webhookReceived))
        json.field("failed", count(.failed))
        json.field("credited", count(.credited))
        json.field("resolved", count(.resolved))
        json.field("gaps", stats.gaps)
        json.field("unmatched", stats.unmatched)
        json.field("amount_mismatch", stats.mismatched)
        // Payments that named no currency (before currencies were kept) count as the shop's.
        var totals = CurrencyTotals()
        for (code, amount) in stats.amounts.amounts { totals.add(amount, currency: code.isEmpty ? shopCurrency : code) }
        json.field("currency", shopCurrency)
        json.key("total_amount"); json.raw(decimal(totals.amounts[shopCurrency] ?? .zero, shopCurrency))
        json.key("totals")
        json.beginArray()
        for (code, amount) in totals.ordered(first: shopCurrency) {
            json.beginObject()
            json.field("currency", code)
            json.key("amount"); json.raw(decimal(amount, code))
            json.endObject()
        }
        json.endArray()
        // Of the payments that ended (confirmed, credited, resolved or failed), the share
        // the provider confirmed.
        let confirmed = count(.completed) + count(.webhookReceived) + count(.credited) + count(.resolved)
        let ended = confirmed + count(.failed)
        json.key("success_rate")
        if ended > 0 { json.raw(String((Double(confirmed * 1000) / Double(ended)).rounded() / 1000)) } else { json.null() }
        json.key("median_minutes_to_credit")
        if let median = stats.medianMinutesToCredit { json.raw(String(Double(Int((median * 10).rounded())) / 10)) } else { json.null() }
        json.endObject()
        return json.bytes
    }
}
