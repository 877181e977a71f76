import HTTP1
import Hub
import JSON
import Money

/// Questions to the providers and their answers, as JSON (`GET /api/payments/checks`,
/// `POST /api/payments/check`, the support timeline).
enum ProviderCheckMessages {
    static func check(_ c: ProviderCheck, into json: inout JSONWriter) {
        json.beginObject()
        json.field("id", Int(c.id))
        json.field("reference", c.reference)
        json.field("provider", c.provider)
        json.field("asked_at", Timestamp.iso8601(milliseconds: c.askedAt))
        json.field("asked_by", c.asker.rawValue)
        json.field("outcome", c.outcome.rawValue)
        json.field("detail", c.detail)
        json.key("amount"); json.raw(c.amount.map { MoneyMessages.decimal($0, c.currency) })
        json.field("currency", c.currency)
        json.field("provider_reference", c.providerReference)
        json.key("partial"); json.bool(c.partial)
        json.field("moved", c.moved)
        json.endObject()
    }

    static func checks(_ list: [ProviderCheck]) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.key("checks")
        json.beginArray()
        for c in list { check(c, into: &json) }
        json.endArray()
        json.endObject()
        return json.bytes
    }

    /// The console's "Check with the provider": the answer, and the payment as it is now.
    static func reply(_ reply: ProviderCheckReply) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.key("check")
        check(reply.check, into: &json)
        json.key("payment")
        if let payment = reply.payment { MoneyMessages.payment(payment, into: &json) } else { json.raw(nil) }
        json.endObject()
        return json.bytes
    }

    /// Why an operator's question was not asked, as its status.
    static func refusal(_ refusal: Reconciler.CheckRefusal, reference: String) -> HTTPResponse {
        switch refusal {
        case .noSuchPayment:
            return APIError(.notFound, code: "no_such_payment", message: "no payment has the reference \(reference)").response
        case .notConfigured(let provider):
            return APIError(.conflict, code: "provider_not_configured", message: "this hub has no API key for \(provider): see README \"Reconciliation\"").response
        case .busy(let provider):
            var error = APIError(.tooManyRequests, code: "provider_rate_limited",
                                 message: "\(provider) was asked --reconcile-calls-per-minute times this minute; ask again in a minute")
            error.headers.add(name: "Retry-After", value: "60")
            return error.response
        case .unavailable:
            return APIError(.serviceUnavailable, code: "records_unavailable", message: "the records database did not take the answer; nothing changed").response
        }
    }
}
