import Auth
import HTTP1
import Hub
import JSON

/// Paystack: `x-paystack-signature` is the hex HMAC-SHA512 of the raw body with the
/// secret key; `charge.success` and `charge.failed` carry `data.reference`.
public struct Paystack: WebhookVerifier {
    public static let provider = PaymentProvider.paystack
    let signature: HexSignature

    public init(secret: String?) {
        signature = HexSignature(secret: secret, flag: "--paystack-secret", header: "x-paystack-signature")
    }

    public func refusal(body: [UInt8], headers: HTTPHeaders, pathToken: String?, now seconds: Int64) -> String? {
        signature.refusal(headers[signature.header]) { HMAC.sha512(key: $0, message: body) }
    }

    public static func interpret(_ json: JSONValue) throws(WebhookPayloadError) -> WebhookOutcome {
        let event = json["event"]?.scalarText ?? ""
        guard let data = json["data"], let reference = data["reference"]?.scalarText, !reference.isEmpty else {
            throw WebhookPayloadError("data.reference is missing")
        }
        let stage: Payment.Stage? = event == "charge.success" ? .webhookReceived : event == "charge.failed" ? .failed : nil
        // `amount` is in the currency's subunit (kobo, pesewas, cents): Paystack's docs.
        return WebhookOutcome(reference: reference, stage: stage, amount: minorUnits(data["amount"]),
                              currency: currencyCode(data["currency"]), email: data["customer"]?["email"]?.scalarText,
                              errorMessage: stage == .failed ? data["gateway_response"]?.scalarText : nil,
                              deliveryKey: "paystack:\(event):\(data["id"]?.scalarText ?? reference)",
                              providerReference: data["id"]?.scalarText)
    }
}
