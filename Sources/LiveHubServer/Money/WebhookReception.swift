import HTTP1
import Hub
import JSON
import Money
import Webhooks

/// One delivery, verified on the connection's loop (the HMAC is computed there, not on the
/// hub's), then handed to the money engine to be logged and applied.
struct WebhookDelivery: Sendable {
    var provider: PaymentProvider
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

    /// The delivery as its provider's verifier judges it (`Webhooks`: one type per provider).
    init(provider: PaymentProvider, pathToken: String?, request: HTTPRequest, verifiers: WebhookVerifiers, nowSeconds: Int64, ipPrivacy: IPPrivacy) {
        let body = request.body
        self.provider = provider
        signatureValid = false
        // Logged as text: a NUL byte (which no JSON holds raw) is kept as U+FFFD, as invalid
        // UTF-8 is, since PostgreSQL's text cannot hold it.
        payload = String(decoding: body, as: UTF8.self).replacingNUL()
        headers = request.head.headers.fields.compactMap { ipPrivacy.keptHeaderLine(name: $0.name, value: $0.value) }
        if let refusal = verifiers[provider].refusal(body: body, headers: request.head.headers, pathToken: pathToken, now: nowSeconds) {
            rejection = refusal
            if let json = try? JSONParser.parse(body), let claimed = try? provider.interpret(json).reference, claimed.utf8.count <= 256,
               !claimed.utf8.contains(0) {
                claimedReference = claimed
            }
            return
        }
        signatureValid = true
        do {
            let json = try JSONParser.parse(body)
            outcome = Result { () throws(APIError) -> WebhookOutcome in
                let meaning: WebhookOutcome
                do throws(WebhookPayloadError) { meaning = try provider.interpret(json) } catch { throw Self.invalid(error.message) }
                for (name, text) in [("reference", meaning.reference), ("currency", meaning.currency), ("email", meaning.email),
                                     ("error message", meaning.errorMessage), ("event id", meaning.deliveryKey)] {
                    if let text, text.utf8.contains(0) { throw Self.invalid("the \(name) holds a NUL character") }
                }
                return meaning
            }
        } catch {
            outcome = .failure(Self.invalid("the body is not JSON: \(error.reason) at byte \(error.offset)"))
        }
    }

    /// What the money engine is asked: every delivery is logged; a verified one that was
    /// read is applied to its payment.
    var operation: ReceiveWebhook {
        var entry = WebhookLogEntry(id: 0, provider: provider.rawValue, receivedAt: 0, signatureValid: signatureValid,
                                    status: .rejected, errorMessage: rejection, reference: nil, payload: payload,
                                    headers: headers, deliveryKey: nil)
        var meaning: WebhookOutcome?
        switch outcome {
        case nil:
            entry.reference = claimedReference  // unverified: signature_valid is false
            entry.truncateUnverified()
        case .failure(let error)?:
            entry.status = .failed
            entry.errorMessage = error.message
        case .success(let value)?:
            meaning = value
        }
        return ReceiveWebhook(entry, meaning: meaning)
    }

    private static func invalid(_ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_webhook", message: message)
    }
}

extension String {
    /// The text with each NUL as U+FFFD.
    fileprivate func replacingNUL() -> String {
        guard utf8.contains(0) else { return self }
        var scalars = String.UnicodeScalarView()
        for scalar in unicodeScalars { scalars.append(scalar == "\u{0}" ? "\u{FFFD}" : scalar) }
        return String(scalars)
    }
}
