import HTTP1
import HTTPClient
import Hub
import JSON
import Webhooks

/// Stripe's API (docs.stripe.com/api): the events whose webhooks were not delivered ("List
/// all events"), one PaymentIntent or Checkout Session ("Retrieve a PaymentIntent",
/// "Retrieve a Checkout Session"), and a PaymentIntent found by our reference ("Search
/// PaymentIntents"). Authenticated with the secret API key as a Bearer token
/// (docs.stripe.com/api/authentication).
public struct StripeAPI: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let defaultBaseURL = OutgoingURL("https://api.stripe.com")!
    /// The event kinds that move a payment. "List all events" takes up to 20 in `types[]`.
    public static let eventTypes = ["payment_intent.succeeded", "payment_intent.payment_failed", "checkout.session.completed",
                                    "checkout.session.async_payment_succeeded", "checkout.session.async_payment_failed"]
    /// `limit`: Stripe's lists take 1 to 100.
    public static let pageSize = 100

    public let baseURL: OutgoingURL
    private let apiKey: ProviderSecret

    public init(baseURL: OutgoingURL = StripeAPI.defaultBaseURL, apiKey: String) {
        self.baseURL = baseURL
        self.apiKey = ProviderSecret(apiKey)
    }

    /// Why no request should be sent (no key), or nil.
    public var configurationProblem: ProviderCallError? { secretProblem(apiKey, named: "Stripe API key (--stripe-api-key)") }

    private var endpoint: ProviderEndpoint { ProviderEndpoint(base: baseURL) }
    private var authorization: [(String, String)] { [("Authorization", "Bearer \(apiKey.value)")] }

    /// GET /v1/events?delivery_success=false&types[]=…&limit=100, newest first. "If false,
    /// events which are still pending or have failed all delivery attempts to a webhook
    /// endpoint will be returned." `createdAfter` is milliseconds since the epoch, sent as
    /// `created[gte]` in seconds (the second it falls in is asked again rather than missed);
    /// `startingAfter` is the previous page's `ProviderCursor.startingAfter`.
    public func undeliveredEvents(createdAfter: Int64?, startingAfter: String?) -> OutgoingRequest {
        var pairs = [("delivery_success", "false")]
        pairs += Self.eventTypes.map { ("types[]", $0) }
        pairs.append(("limit", String(Self.pageSize)))
        if let createdAfter { pairs.append(("created[gte]", String(max(0, createdAfter) / 1000))) }
        if let startingAfter { pairs.append(("starting_after", startingAfter)) }
        return endpoint.request("GET", "/v1/events", query: PercentEncoding.query(pairs), headers: authorization)
    }

    /// "pi_…": GET /v1/payment_intents/:id; "cs_…": GET /v1/checkout/sessions/:id. Any other
    /// id is asked as a PaymentIntent (Stripe answers 404 `resource_missing`: not found).
    public func object(id: String) -> OutgoingRequest {
        let collection = id.hasPrefix("cs_") ? "/v1/checkout/sessions/" : "/v1/payment_intents/"
        return endpoint.request("GET", collection + PercentEncoding.pathSegment(id), headers: authorization)
    }

    /// GET /v1/payment_intents/search?query=metadata['reference']:'REF'. Search query
    /// language (docs.stripe.com/search, "Quotes"): "You can escape quotes inside of quotes
    /// with a backslash"; a backslash is escaped too, so a reference ending in one cannot
    /// escape the closing quote and add a clause of its own.
    public func search(reference: String) -> OutgoingRequest {
        endpoint.request("GET", "/v1/payment_intents/search", query: PercentEncoding.query([("query", Self.searchQuery(reference: reference))]),
                         headers: authorization)
    }

    static func searchQuery(reference: String) -> String {
        var quoted = ""
        for character in reference {
            if character == "\\" || character == "'" { quoted.append("\\") }
            quoted.append(character)
        }
        return "metadata['reference']:'\(quoted)'"
    }

    /// A PaymentIntent or Checkout Session (`object`), or a search's list of PaymentIntents
    /// (`search_result`): of those naming `reference`, the one that went furthest (paid,
    /// else pending, else failed), none being `.notFound`. A 404 with Stripe's
    /// `resource_missing` error is `.notFound` too.
    public static func parseObject(reference: String, status: Int, body: [UInt8], headers: HTTPHeaders = HTTPHeaders())
        -> Result<ProviderAnswer, ProviderCallError> {
        Result { () throws(ProviderCallError) -> ProviderAnswer in
            if let error = ProviderCallError.forStatus(status, headers: headers) { throw error }
            guard status == 200 else {
                let error = AnswerReading.objectIfAny(body)?["error"]
                if status == 404, error?["code"]?.stringValue == "resource_missing" {
                    return ProviderAnswer(provider: .stripe, reference: reference, verdict: .notFound)
                }
                throw .badAnswer("Stripe answered \(status): \(ProviderText.message(error?["message"]) ?? "no message")")
            }
            let json = try AnswerReading.object(body)
            switch json["object"]?.stringValue {
            case "search_result", "list":
                guard case .array(let items)? = json["data"] else { throw .badAnswer("data is not a list") }
                var found: [ProviderAnswer] = []
                for item in items {
                    let answer = try StripeReading.object(item)
                    if answer?.reference == reference, let answer { found.append(answer) }
                }
                let order: [ProviderAnswer.Verdict] = [.paid, .pending, .failed]
                return order.lazy.compactMap { verdict in found.first { $0.verdict == verdict } }.first
                    ?? ProviderAnswer(provider: .stripe, reference: reference, verdict: .notFound)
            default:
                guard let answer = try StripeReading.object(json) else { throw .badAnswer("the object names neither client_reference_id nor metadata.reference") }
                try AnswerReading.same(answer.reference, as: reference, "client_reference_id / metadata.reference")
                return answer
            }
        }
    }

    /// "List all events": each event of a kind in `eventTypes` (and the webhook's `charge.*`)
    /// whose object names a reference of ours, newest first; an event about a payment that
    /// is not ours (no reference) is left out. `next` is the last event's id while `has_more`.
    public static func parseEvents(status: Int, body: [UInt8], headers: HTTPHeaders = HTTPHeaders()) -> Result<ProviderPage, ProviderCallError> {
        Result { () throws(ProviderCallError) -> ProviderPage in
            if let error = ProviderCallError.forStatus(status, headers: headers) { throw error }
            guard status == 200 else {
                let error = AnswerReading.objectIfAny(body)?["error"]
                throw .badAnswer("Stripe answered \(status): \(ProviderText.message(error?["message"]) ?? "no message")")
            }
            let json = try AnswerReading.object(body)
            guard case .array(let events)? = json["data"] else { throw .badAnswer("data is not a list") }
            guard case .bool(let hasMore)? = json["has_more"] else { throw .badAnswer("has_more is not true or false") }
            var answers: [ProviderAnswer] = []
            var lastID: String?
            for event in events {
                guard case .object = event else { throw .badAnswer("an event is not an object") }
                lastID = try AnswerReading.text(event["id"], "an event's id", limit: ProviderText.idLimit)
                if let answer = try StripeReading.event(event) { answers.append(answer) }
            }
            guard hasMore else { return ProviderPage(answers: answers, next: nil) }
            guard let lastID else { throw .badAnswer("has_more is true on an empty page") }
            return ProviderPage(answers: answers, next: .startingAfter(lastID))
        }
    }

    public var description: String { "StripeAPI(baseURL: \(baseURL), apiKey: \(ProviderSecret.redacted))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["baseURL": baseURL, "apiKey": ProviderSecret.redacted], displayStyle: .struct)
    }
}
