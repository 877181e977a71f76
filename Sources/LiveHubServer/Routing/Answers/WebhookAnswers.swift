import HTTP1
import Hub
import JSON
import Money

/// What a provider is told about its delivery, made on the loop it came in on.
extension WebhookDelivery {
    /// The provider's answer says what happened: a refused delivery gets its error once it
    /// is logged.
    func answer(metrics: HubMetrics) -> @Sendable (WebhookReply) -> HTTPResponse {
        var refusal: APIError?
        switch outcome {
        case nil: refusal = APIError(.unauthorized, code: "invalid_signature", message: rejection ?? "the signature does not verify")
        case .failure(let error)?: refusal = error
        case .success?: break
        }
        return { [refusal] reply in
            let logged = reply.entry
            metrics.webhookDelivery(provider: logged.provider, status: logged.status)
            if !logged.stored { metrics.webhookNotStored(provider: logged.provider) }
            if let refusal { return refusal.response }
            let reference = JSONWriter.quoted(logged.reference ?? "")
            if logged.status == .duplicate {
                return MoneyAnswers.json(.ok, Array("{\"ok\":true,\"duplicate\":true,\"reference\":\(reference)}".utf8))
            }
            return MoneyAnswers.json(.ok, Array("{\"ok\":true,\"duplicate\":false,\"unmatched\":\(reply.unmatched),\"reference\":\(reference),\"status\":\(JSONWriter.quoted(reply.paymentStatus?.rawValue))}".utf8))
        }
    }
}
