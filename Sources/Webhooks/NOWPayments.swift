import Auth
import HTTP1
import Hub
import JSON

/// NOWPayments: `x-nowpayments-sig` is the hex HMAC-SHA512, with the IPN secret, of the
/// JSON body re-serialized with its keys sorted (not of the raw bytes); `order_id` is our
/// reference and `payment_status` says where the payment is.
public struct NOWPayments: WebhookVerifier {
    public static let provider = PaymentProvider.nowpayments
    let signature: HexSignature

    public init(secret: String?) {
        signature = HexSignature(secret: secret, flag: "--nowpayments-secret", header: "x-nowpayments-sig")
    }

    public func refusal(body: [UInt8], headers: HTTPHeaders, pathToken: String?, now seconds: Int64) -> String? {
        guard let json = try? JSONParser.parse(body) else { return "the body is not JSON" }
        let sorted = Array(Self.sortedKeys(json).serialized.utf8)
        return signature.refusal(headers[signature.header]) { HMAC.sha512(key: $0, message: sorted) }
    }

    public static func interpret(_ json: JSONValue) throws(WebhookPayloadError) -> WebhookOutcome {
        guard let reference = json["order_id"]?.scalarText, !reference.isEmpty else { throw WebhookPayloadError("order_id is missing") }
        let status = json["payment_status"]?.scalarText ?? ""
        let stage: Payment.Stage?
        switch status {
        // partially_paid: "the customer sent less than the actual price; appears when the
        // funds have arrived in your wallet" (NOWPayments' payment statuses). Money arrived,
        // and it is not the price: an amount mismatch, never credited on its own.
        case "finished", "confirmed", "partially_paid": stage = .webhookReceived
        case "failed", "expired", "refunded": stage = .failed
        default: stage = nil  // waiting, confirming, sending: on its way
        }
        let currency = currencyCode(json["price_currency"])
        let partial = status == "partially_paid"
        // The price in fiat; for a partial payment what arrived, in the same fiat when the
        // notification says (`actually_paid_at_fiat`), else unknown.
        let amount = partial ? decimalAmount(json["actually_paid_at_fiat"], currency: currency) : decimalAmount(json["price_amount"], currency: currency)
        var outcome = WebhookOutcome(reference: reference, stage: stage, amount: amount, currency: currency, email: nil,
                                     errorMessage: stage == .failed ? "NOWPayments status \(status)" : nil,
                                     deliveryKey: "nowpayments:\(json["payment_id"]?.scalarText ?? reference):\(status)",
                                     providerReference: json["payment_id"]?.scalarText)
        outcome.partial = partial
        return outcome
    }

    /// The same value with every object's keys in order (the form NOWPayments signs).
    public static func sortedKeys(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): return .object(members.map { ($0.0, sortedKeys($0.1)) }.sorted { $0.0 < $1.0 })
        case .array(let items): return .array(items.map(sortedKeys))
        default: return value
        }
    }
}
