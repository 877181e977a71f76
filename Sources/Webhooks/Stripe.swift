import Auth
import HTTP1
import Hub
import JSON

/// Stripe: `Stripe-Signature: t=…,v1=…[,v1=…]`, each v1 the hex HMAC-SHA256 of "t.body"
/// with the endpoint's signing secret; any v1 may match, and a timestamp further than the
/// tolerance from now is refused (a replay).
public struct Stripe: WebhookVerifier {
    public static let provider = PaymentProvider.stripe
    /// Stripe's own libraries' default tolerance for the signed timestamp.
    public static let defaultTolerance: Int64 = 300
    let secret: String?
    let tolerance: Int64

    public init(secret: String?, tolerance: Int64 = Stripe.defaultTolerance) {
        self.secret = secret
        self.tolerance = tolerance
    }

    public func refusal(body: [UInt8], headers: HTTPHeaders, pathToken: String?, now: Int64) -> String? {
        guard let secret, !secret.isEmpty else { return "no --stripe-secret is configured" }
        guard let header = headers["Stripe-Signature"] else { return "no Stripe-Signature header" }
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
        guard !overflow, skew.magnitude <= UInt64(tolerance) else { return "Stripe-Signature timestamp is outside the \(tolerance) s tolerance" }
        return nil
    }

    public static func interpret(_ json: JSONValue) throws(WebhookPayloadError) -> WebhookOutcome {
        guard let id = json["id"]?.scalarText, let type = json["type"]?.scalarText, let object = json["data"]?["object"] else {
            throw WebhookPayloadError("id, type and data.object are required")
        }
        guard let read = StripeObjectReading(object, isPaymentIntent: type.hasPrefix("payment_intent.")) else {
            throw WebhookPayloadError("data.object has neither client_reference_id nor metadata.reference")
        }
        let stage: Payment.Stage?
        switch type {
        case "checkout.session.completed", "payment_intent.succeeded", "charge.succeeded": stage = .webhookReceived
        case "payment_intent.payment_failed", "checkout.session.expired", "charge.failed": stage = .failed
        default: stage = nil
        }
        return WebhookOutcome(reference: read.reference, stage: stage, amount: read.amount, currency: read.currency, email: read.email,
                              errorMessage: stage == .failed ? "Stripe \(type)" : nil, deliveryKey: "stripe:\(id)",
                              providerReference: read.paymentIntent)
    }
}
