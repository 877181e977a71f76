import Auth
import HTTP1
import Hub
import JSON

/// One delivery, verified on the connection's loop (the HMAC is computed there, not on the
/// hub's), then handed to the hub to be logged and applied.
struct WebhookDelivery: Sendable {
    var provider: String
    var signatureValid: Bool
    var payload: String
    var headers: [String]
    /// The payload's meaning, or why it could not be read; unset when the signature failed.
    var outcome: Result<WebhookOutcome, APIError>?
    /// Why the signature (or path token) was refused.
    var rejection: String?
    /// A refused delivery's payload read anyway, for the reference it names (logged as
    /// unverified, so support can find it; nothing is applied).
    var claimedReference: String?
}

/// Signature checks exactly as each provider signs (contract: "Provider webhooks"), always
/// on the raw body and with constant-time compares.
enum ProviderWebhooks {
    static let providers: Set<String> = ["paystack", "nowpayments", "stripe", "mpesa"]
    /// Stripe's default tolerance for the signed timestamp.
    static let stripeTolerance: Int64 = 300

    static func receive(provider: String, pathToken: String?, request: HTTPRequest,
                        configuration: ServerConfiguration, nowSeconds: Int64) -> WebhookDelivery {
        let body = request.body
        var delivery = WebhookDelivery(provider: provider, signatureValid: false,
                                       payload: String(decoding: body, as: UTF8.self),
                                       headers: request.head.headers.fields.map { "\($0.name): \($0.value)" })
        let headers = request.head.headers
        let check: String?  // nil: valid; otherwise why not
        switch provider {
        case "paystack":
            check = verifyHex(secret: configuration.paystackSecret, flag: "--paystack-secret", header: headers["x-paystack-signature"],
                              name: "x-paystack-signature") { HMAC.sha512(key: $0, message: body) }
        case "nowpayments":
            // Signed over the JSON with its keys sorted, not over the raw bytes.
            let sorted = (try? JSONParser.parse(body)).map { Array(sortedKeys($0).serialized.utf8) }
            check = sorted == nil ? "the body is not JSON" :
                verifyHex(secret: configuration.nowpaymentsSecret, flag: "--nowpayments-secret", header: headers["x-nowpayments-sig"],
                          name: "x-nowpayments-sig") { HMAC.sha512(key: $0, message: sorted!) }
        case "stripe":
            check = verifyStripe(secret: configuration.stripeSecret, header: headers["Stripe-Signature"], body: body, now: nowSeconds)
        case "mpesa":
            if let expected = configuration.mpesaToken, !expected.isEmpty {
                check = HMAC.constantTimeEquals(Array((pathToken ?? "").utf8), Array(expected.utf8)) ? nil : "the path token is not the configured one"
            } else {
                check = "no --mpesa-token is configured"
            }
        default:
            check = "unknown provider"
        }
        if let check {
            delivery.rejection = check
            if let json = try? JSONParser.parse(body), let claimed = try? interpret(provider: provider, json).reference, claimed.utf8.count <= 256 {
                delivery.claimedReference = claimed
            }
            return delivery
        }
        delivery.signatureValid = true
        do {
            let json = try JSONParser.parse(body)
            delivery.outcome = Result { () throws(APIError) -> WebhookOutcome in try interpret(provider: provider, json) }
        } catch {
            delivery.outcome = .failure(invalid("the body is not JSON: \(error.reason) at byte \(error.offset)"))
        }
        return delivery
    }

    private static func invalid(_ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_webhook", message: message)
    }

    /// Hex HMAC in a header, compared in constant time.
    private static func verifyHex(secret: String?, flag: String, header: String?, name: String, mac: ([UInt8]) -> [UInt8]) -> String? {
        guard let secret, !secret.isEmpty else { return "no \(flag) is configured" }
        guard let header, !header.isEmpty else { return "no \(name) header" }
        let expected = Array(HMAC.hex(mac(Array(secret.utf8))).utf8)
        return HMAC.constantTimeEquals(expected, Array(header.lowercased().utf8)) ? nil : "\(name) does not match the body"
    }

    /// `Stripe-Signature: t=…,v1=…[,v1=…]`: HMAC-SHA256 of "t.body"; any v1 may match;
    /// a timestamp further than the tolerance from now is refused (replays).
    private static func verifyStripe(secret: String?, header: String?, body: [UInt8], now: Int64) -> String? {
        guard let secret, !secret.isEmpty else { return "no --stripe-secret is configured" }
        guard let header else { return "no Stripe-Signature header" }
        var timestamp: String?
        var candidates: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let key = pair[0].trimmingOWS(), value = String(pair[1].trimmingOWS())
            if key == "t" { timestamp = value } else if key == "v1" { candidates.append(value.lowercased()) }
        }
        guard let timestamp, let t = Int64(timestamp) else { return "Stripe-Signature has no timestamp" }
        guard !candidates.isEmpty else { return "Stripe-Signature has no v1 signature" }
        let expected = Array(HMAC.hex(HMAC.sha256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + body)).utf8)
        // Every candidate is compared, whatever the first gave.
        let matched = candidates.map { HMAC.constantTimeEquals(expected, Array($0.utf8)) }.contains(true)
        guard matched else { return "Stripe-Signature does not match the body" }
        let (skew, overflow) = now.subtractingReportingOverflow(t)
        guard !overflow, skew.magnitude <= UInt64(stripeTolerance) else { return "Stripe-Signature timestamp is outside the \(stripeTolerance) s tolerance" }
        return nil
    }

    private static func interpret(provider: String, _ json: JSONValue) throws(APIError) -> WebhookOutcome {
        switch provider {
        case "paystack":
            let event = json["event"]?.scalarText ?? ""
            guard let data = json["data"], let reference = data["reference"]?.scalarText, !reference.isEmpty else {
                throw invalid("data.reference is missing")
            }
            let stage: Payment.Stage? = event == "charge.success" ? .webhookReceived : event == "charge.failed" ? .failed : nil
            return WebhookOutcome(reference: reference, stage: stage, amount: minorUnits(data["amount"]),
                                  currency: data["currency"]?.scalarText, email: data["customer"]?["email"]?.scalarText,
                                  errorMessage: stage == .failed ? data["gateway_response"]?.scalarText : nil,
                                  deliveryKey: "paystack:\(event):\(data["id"]?.scalarText ?? reference)")
        case "nowpayments":
            guard let reference = json["order_id"]?.scalarText, !reference.isEmpty else { throw invalid("order_id is missing") }
            let status = json["payment_status"]?.scalarText ?? ""
            let stage: Payment.Stage?
            switch status {
            case "finished", "confirmed": stage = .webhookReceived
            case "failed", "expired", "refunded": stage = .failed
            default: stage = nil  // waiting, confirming, sending, partially_paid: on its way
            }
            return WebhookOutcome(reference: reference, stage: stage, amount: json["price_amount"]?.scalarText.flatMap { Money(decimal: $0) },
                                  currency: json["price_currency"]?.scalarText, email: nil,
                                  errorMessage: stage == .failed ? "NOWPayments status \(status)" : nil,
                                  deliveryKey: "nowpayments:\(json["payment_id"]?.scalarText ?? reference):\(status)")
        case "stripe":
            guard let id = json["id"]?.scalarText, let type = json["type"]?.scalarText, let object = json["data"]?["object"] else {
                throw invalid("id, type and data.object are required")
            }
            guard let reference = object["client_reference_id"]?.scalarText ?? object["metadata"]?["reference"]?.scalarText else {
                throw invalid("data.object has neither client_reference_id nor metadata.reference")
            }
            let stage: Payment.Stage?
            switch type {
            case "checkout.session.completed", "payment_intent.succeeded", "charge.succeeded": stage = .webhookReceived
            case "payment_intent.payment_failed", "checkout.session.expired", "charge.failed": stage = .failed
            default: stage = nil
            }
            return WebhookOutcome(reference: reference, stage: stage, amount: minorUnits(object["amount_total"] ?? object["amount"]),
                                  currency: object["currency"]?.scalarText,
                                  email: object["customer_details"]?["email"]?.scalarText ?? object["receipt_email"]?.scalarText,
                                  errorMessage: stage == .failed ? "Stripe \(type)" : nil, deliveryKey: "stripe:\(id)")
        case "mpesa":
            guard let callback = json["Body"]?["stkCallback"], let reference = callback["CheckoutRequestID"]?.scalarText else {
                throw invalid("Body.stkCallback.CheckoutRequestID is missing")
            }
            let ok = callback["ResultCode"]?.scalarText == "0"
            var amount: Money?
            if case .array(let items)? = callback["CallbackMetadata"]?["Item"] {
                for item in items where item["Name"]?.scalarText == "Amount" { amount = item["Value"]?.scalarText.flatMap { Money(decimal: $0) } }
            }
            return WebhookOutcome(reference: reference, stage: ok ? .webhookReceived : .failed, amount: amount, currency: "KES",
                                  email: nil, errorMessage: ok ? nil : callback["ResultDesc"]?.scalarText,
                                  deliveryKey: "mpesa:\(reference)")
        default:
            throw invalid("unknown provider")
        }
    }

    /// Paystack and Stripe send integer minor units (kobo, cents).
    private static func minorUnits(_ value: JSONValue?) -> Money? {
        guard let text = value?.scalarText, let units = Int64(text), units >= 0 else { return nil }
        return Money(minorUnits: units)
    }

    /// The same value with every object's keys in order (NOWPayments signs that form).
    static func sortedKeys(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): return .object(members.map { ($0.0, sortedKeys($0.1)) }.sorted { $0.0 < $1.0 })
        case .array(let items): return .array(items.map(sortedKeys))
        default: return value
        }
    }
}
