import HTTP1
import HTTPClient
import Hub
import JSON
import Webhooks

/// NOWPayments' API (documenter.getpostman.com/view/7907941/S1a32n38, "Get payment
/// status"), authenticated with the API key in `x-api-key`.
public struct NOWPaymentsAPI: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let defaultBaseURL = OutgoingURL("https://api.nowpayments.io")!

    public let baseURL: OutgoingURL
    private let apiKey: ProviderSecret

    public init(baseURL: OutgoingURL = NOWPaymentsAPI.defaultBaseURL, apiKey: String) {
        self.baseURL = baseURL
        self.apiKey = ProviderSecret(apiKey)
    }

    /// Why no request should be sent (no key), or nil.
    public var configurationProblem: ProviderCallError? { secretProblem(apiKey, named: "NOWPayments API key") }

    /// GET /v1/payment/{payment_id}. "You should make the get payment status request with
    /// the same API key that you used in the create payment request."
    public func payment(id: String) -> OutgoingRequest {
        ProviderEndpoint(base: baseURL).request("GET", "/v1/payment/" + PercentEncoding.pathSegment(id), headers: [("x-api-key", apiKey.value)])
    }

    /// "Get payment status"'s answer, read as the IPN is (`NOWPayments.interpret`, the same
    /// statuses): finished and confirmed are paid; partially_paid is paid and partial ("the
    /// customer sent less than the actual price"), its amount what arrived in the price's
    /// currency (`actually_paid_at_fiat`) when the answer says; failed, expired and refunded
    /// are failed; waiting, confirming and sending (and a status the docs do not list) are
    /// pending. The amount is `price_amount` in `price_currency`, with that currency's
    /// exponent. `order_id` must be the reference asked about. A 404 whose error body names
    /// the payment (code PAYMENT_NOT_FOUND, or "Payment not found": the reference prints no
    /// example, so either is taken) is `.notFound`; another 404 (a route of a wrong base URL)
    /// is a bad answer.
    public static func parsePayment(reference: String, status: Int, body: [UInt8], headers: HTTPHeaders = HTTPHeaders())
        -> Result<ProviderAnswer, ProviderCallError> {
        Result { () throws(ProviderCallError) -> ProviderAnswer in
            if let error = ProviderCallError.forStatus(status, headers: headers) { throw error }
            guard status == 200 else {
                // Its errors: {"status": false, "statusCode": 400, "code": "INVALID_REQUEST_PARAMS", "message": "…"}.
                let error = AnswerReading.objectIfAny(body)
                let message = ProviderText.message(error?["message"])
                let code = ProviderText.kept(error?["code"], limit: 64)
                if status == 404, code == "PAYMENT_NOT_FOUND" || message?.lowercased().contains("payment not found") == true {
                    return ProviderAnswer(provider: .nowpayments, reference: reference, verdict: .notFound, message: message)
                }
                throw .badAnswer("NOWPayments answered \(status): \(message ?? "no message")")
            }
            let json = try AnswerReading.object(body)
            let orderID = try AnswerReading.text(json["order_id"], "order_id", limit: ProviderText.referenceLimit)
            try AnswerReading.same(orderID, as: reference, "order_id")
            let paymentStatus = try AnswerReading.text(json["payment_status"], "payment_status", limit: 64)
            let verdict: ProviderAnswer.Verdict = switch paymentStatus {
            case "finished", "confirmed", "partially_paid": .paid
            case "failed", "expired", "refunded": .failed
            default: .pending
            }
            let partial = paymentStatus == "partially_paid"
            let currency = try AnswerReading.currency(json["price_currency"], "price_currency")
            let read = { (value: JSONValue?) in PayloadReading.decimalAmount(value, currency: currency) }
            let price = try AnswerReading.amount(json["price_amount"], "price_amount", read)
            let arrived = try AnswerReading.amount(json["actually_paid_at_fiat"], "actually_paid_at_fiat", read)
            if verdict == .paid, !partial, price == nil || currency == nil { throw .badAnswer("a paid payment has no price_amount or price_currency") }
            return ProviderAnswer(provider: .nowpayments, reference: reference, verdict: verdict, amount: partial ? arrived : price,
                                  currency: currency, providerReference: ProviderText.kept(json["payment_id"], limit: ProviderText.idLimit),
                                  partial: partial, message: verdict == .failed ? "NOWPayments status \(paymentStatus)" : nil)
        }
    }

    public var description: String { "NOWPaymentsAPI(baseURL: \(baseURL), apiKey: \(ProviderSecret.redacted))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["baseURL": baseURL, "apiKey": ProviderSecret.redacted], displayStyle: .struct)
    }
}
