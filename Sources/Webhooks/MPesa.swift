import Auth
import HTTP1
import Hub
import JSON

/// M-Pesa (Daraja STK push): the callback is not signed, so its URL carries a token of
/// ours (`/webhooks/mpesa/{token}`), compared in constant time. `ResultCode` 0 is paid;
/// the amount is the `Amount` item of `CallbackMetadata`, in shillings.
public struct MPesa: WebhookVerifier {
    public static let provider = PaymentProvider.mpesa
    let token: String?

    public init(token: String?) { self.token = token }

    public func refusal(body: [UInt8], headers: HTTPHeaders, pathToken: String?, now seconds: Int64) -> String? {
        guard let token, !token.isEmpty else { return "no --mpesa-token is configured" }
        return HMAC.constantTimeEquals(Array((pathToken ?? "").utf8), Array(token.utf8)) ? nil : "the path token is not the configured one"
    }

    public static func interpret(_ json: JSONValue) throws(WebhookPayloadError) -> WebhookOutcome {
        guard let callback = json["Body"]?["stkCallback"], let reference = callback["CheckoutRequestID"]?.scalarText else {
            throw WebhookPayloadError("Body.stkCallback.CheckoutRequestID is missing")
        }
        let ok = callback["ResultCode"]?.scalarText == "0"
        var amount: Money?
        var receipt: String?
        if case .array(let items)? = callback["CallbackMetadata"]?["Item"] {
            for item in items {
                switch item["Name"]?.scalarText {
                case "Amount": amount = decimalAmount(item["Value"], currency: "KES")
                case "MpesaReceiptNumber": receipt = item["Value"]?.scalarText.flatMap { $0.utf8.count <= 64 ? $0 : nil }
                default: break
                }
            }
        }
        return WebhookOutcome(reference: reference, stage: ok ? .webhookReceived : .failed, amount: amount, currency: "KES",
                              email: nil, errorMessage: ok ? nil : callback["ResultDesc"]?.scalarText,
                              deliveryKey: "mpesa:\(reference)", providerReference: receipt)
    }
}
