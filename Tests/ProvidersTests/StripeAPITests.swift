import HTTP1
import HTTPClient
import Hub
import JSON
import Testing
import Webhooks
@testable import Providers

/// Stripe's events, PaymentIntents and Checkout Sessions, with objects shaped like the
/// examples of Stripe's API reference ("The PaymentIntent object", "The Checkout Session
/// object", "List all events").
@Suite("Stripe API")
struct StripeAPITests {
    let api = StripeAPI(apiKey: "sk_test_stripe_key_456")

    static let intent = #"""
    {"id":"pi_3MtwBwLkdIwHu7ix28a3tqPa","object":"payment_intent","amount":2000,"amount_capturable":0,"amount_received":2000,
    "automatic_payment_methods":{"enabled":true},"canceled_at":null,"cancellation_reason":null,"capture_method":"automatic",
    "client_secret":"pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH","confirmation_method":"automatic",
    "created":1680800504,"currency":"usd","customer":null,"description":null,"last_payment_error":null,
    "latest_charge":"ch_3MtwBwLkdIwHu7ix28a3tqPa","livemode":false,"metadata":{"reference":"ORD-1001"},"next_action":null,
    "payment_method":"pm_1MtwBwLkdIwHu7ixv1x9q4xZ","payment_method_types":["card"],"receipt_email":"jenny.rosen@example.com",
    "status":"succeeded"}
    """#

    static let session = #"""
    {"id":"cs_test_a11YYufWQzNY63zpQ6QSNRQhkUpVph4WRmzW0zWJO2znZKdVujZ0N0S22u","object":"checkout.session","amount_subtotal":2198,
    "amount_total":2198,"cancel_url":null,"client_reference_id":"ORD-1002","created":1679600215,"currency":"usd","customer":null,
    "customer_details":{"email":"jenny.rosen@example.com","name":"Jenny Rosen"},"expires_at":1679686615,"livemode":false,
    "metadata":{},"mode":"payment","payment_intent":"pi_3MtwBwLkdIwHu7ix28a3tqPb","payment_status":"paid","status":"complete",
    "success_url":"https://example.com/success","url":null}
    """#

    /// "List all events"' example event (a SetupIntent: no payment of ours), then ours.
    static func events(hasMore: Bool) -> String {
        #"""
        {"object":"list","url":"/v1/events","has_more":\#(hasMore),"data":[
        {"id":"evt_3","object":"event","api_version":"2024-06-20","created":1686089972,"type":"checkout.session.async_payment_succeeded",
         "data":{"object":\#(session.replacingOccurrences(#""payment_status":"paid""#, #""payment_status":"paid""#))}},
        {"id":"evt_2","object":"event","api_version":"2024-06-20","created":1686089971,"type":"payment_intent.payment_failed",
         "data":{"object":\#(intent.replacingOccurrences(#""status":"succeeded""#, #""status":"requires_payment_method""#)
                   .replacingOccurrences(#""last_payment_error":null"#, #""last_payment_error":{"code":"card_declined","message":"Your card was declined."}"#))}},
        {"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","api_version":"2019-02-19","created":1686089970,
         "data":{"object":{"id":"seti_1NG8Du2eZvKYlo2C9XMqbR0x","object":"setup_intent","metadata":{},"status":"requires_confirmation"}},
         "livemode":false,"pending_webhooks":0,"request":{"id":null,"idempotency_key":null},"type":"setup_intent.created"},
        {"id":"evt_0","object":"event","api_version":"2024-06-20","created":1686089969,"type":"payment_intent.succeeded",
         "data":{"object":\#(intent)}}]}
        """#
    }

    func object(_ body: String, status: Int = 200, reference: String = "ORD-1001") -> Result<ProviderAnswer, ProviderCallError> {
        StripeAPI.parseObject(reference: reference, status: status, body: bytes(body))
    }

    @Test func theUndeliveredEventsAreAskedWithEncodedBrackets() {
        let request = api.undeliveredEvents(createdAfter: nil, startingAfter: nil)
        #expect(request.method == "GET" && request.headers["Authorization"] == "Bearer sk_test_stripe_key_456")
        #expect(request.url.description == "https://api.stripe.com/v1/events?delivery_success=false"
            + "&types%5B%5D=payment_intent.succeeded&types%5B%5D=payment_intent.payment_failed&types%5B%5D=checkout.session.completed"
            + "&types%5B%5D=checkout.session.async_payment_succeeded&types%5B%5D=checkout.session.async_payment_failed&limit=100")
        let next = api.undeliveredEvents(createdAfter: 1_686_089_970_999, startingAfter: "evt_1 &x")
        #expect(next.url.target.hasSuffix("&limit=100&created%5Bgte%5D=1686089970&starting_after=evt_1%20%26x"))
    }

    @Test func anObjectIsAskedAtItsKindsPathAndASearchQuotesTheReference() {
        #expect(api.object(id: "pi_3MtwBwLkdIwHu7ix28a3tqPa").url.target == "/v1/payment_intents/pi_3MtwBwLkdIwHu7ix28a3tqPa")
        #expect(api.object(id: "cs_test_a11").url.target == "/v1/checkout/sessions/cs_test_a11")
        #expect(api.object(id: "../v1/charges").url.target == "/v1/payment_intents/..%2Fv1%2Fcharges")
        #expect(api.object(id: "pi_1").headers["Authorization"] == "Bearer sk_test_stripe_key_456")
        let search = api.search(reference: "ORD-1001")
        #expect(search.method == "GET" && search.url.target == "/v1/payment_intents/search?query=metadata%5B%27reference%27%5D%3A%27ORD-1001%27")
        // A quote ends nothing and a backslash escapes nothing of ours: one clause, whatever the reference.
        #expect(StripeAPI.searchQuery(reference: #"a\' OR status:'x"#) == #"metadata['reference']:'a\\\' OR status:\'x'"#)
        #expect(api.search(reference: #"a\' OR status:'x"#).url.target
            == "/v1/payment_intents/search?query=metadata%5B%27reference%27%5D%3A%27a%5C%5C%5C%27%20OR%20status%3A%5C%27x%27")
    }

    @Test func aSucceededPaymentIntentIsPaid() throws {
        let answer = try object(Self.intent).get()
        #expect(answer.provider == "stripe" && answer.reference == "ORD-1001" && answer.verdict == .paid)
        #expect(answer.amount == Money(minorUnits: 2000) && answer.currency == "USD" && answer.email == "jenny.rosen@example.com")
        #expect(answer.providerReference == "pi_3MtwBwLkdIwHu7ix28a3tqPa" && answer.deliveryKey == "provider_api:stripe:ORD-1001:paid")
        #expect(answer.outcome.stage == .webhookReceived)
    }

    @Test func eachPaymentIntentStatusHasItsVerdict() throws {
        func intent(_ status: String, error: String = "null", reason: String = "null") throws -> ProviderAnswer {
            try object(Self.intent.replacingOccurrences(#""status":"succeeded""#, #""status":"\#(status)""#)
                .replacingOccurrences(#""last_payment_error":null"#, #""last_payment_error":\#(error)"#)
                .replacingOccurrences(#""cancellation_reason":null"#, #""cancellation_reason":\#(reason)"#)).get()
        }
        let declined = try intent("requires_payment_method", error: #"{"code":"card_declined","message":"Your card was declined."}"#)
        #expect(declined.verdict == .failed && declined.message == "Your card was declined." && declined.outcome.errorMessage == "Your card was declined.")
        let canceled = try intent("canceled", reason: #""abandoned""#)
        #expect(canceled.verdict == .failed && canceled.message == "Stripe: the PaymentIntent was canceled (abandoned)")
        for status in ["requires_payment_method", "requires_confirmation", "requires_action", "processing", "requires_capture", "new_one"] {
            #expect(try intent(status).verdict == .pending, "\(status)")
        }
    }

    @Test func aCheckoutSessionIsPaidOnlyWhenItsPaymentIs() throws {
        let answer = try object(Self.session, reference: "ORD-1002").get()
        #expect(answer.verdict == .paid && answer.amount == Money(minorUnits: 2198) && answer.currency == "USD")
        #expect(answer.providerReference == "pi_3MtwBwLkdIwHu7ix28a3tqPb" && answer.email == "jenny.rosen@example.com")
        func session(_ status: String, _ paymentStatus: String) throws -> ProviderAnswer.Verdict {
            try object(Self.session.replacingOccurrences(#""payment_status":"paid","status":"complete""#,
                                                         #""payment_status":"\#(paymentStatus)","status":"\#(status)""#), reference: "ORD-1002").get().verdict
        }
        #expect(try session("complete", "no_payment_required") == .paid)
        #expect(try session("complete", "unpaid") == .pending)
        #expect(try session("open", "unpaid") == .pending)
        #expect(try session("expired", "unpaid") == .failed)
    }

    @Test func aSearchTakesThePaymentThatWentFurthest() throws {
        let canceled = Self.intent.replacingOccurrences(#""status":"succeeded""#, #""status":"canceled""#)
        func search(_ items: [String]) -> String {
            #"{"object":"search_result","url":"/v1/payment_intents/search","has_more":false,"next_page":null,"data":[\#(items.joined(separator: ","))]}"#
        }
        #expect(try object(search([canceled, Self.intent])).get().verdict == .paid)
        #expect(try object(search([canceled])).get().verdict == .failed)
        let other = Self.intent.replacingOccurrences("ORD-1001", "ORD-9")
        let none = try object(search([other])).get()
        #expect(none.verdict == .notFound && none.reference == "ORD-1001" && none.outcome.stage == nil)
        #expect(try object(search([])).get().verdict == .notFound)
    }

    @Test func refusalsAndStatuses() throws {
        let missing = #"{"error":{"code":"resource_missing","doc_url":"https://stripe.com/docs/error-codes/resource-missing","message":"No such payment_intent: 'pi_x'","param":"intent","type":"invalid_request_error"}}"#
        #expect(try object(missing, status: 404).get().verdict == .notFound)
        #expect(failure(object("Not Found", status: 404)) == .badAnswer)
        #expect(failure(object(#"{"error":{"message":"Invalid search query","type":"invalid_request_error"}}"#, status: 400)) == .badAnswer)
        #expect(failure(object(#"{"error":{"message":"Invalid API Key provided: sk_test_****"}}"#, status: 401)) == .unauthorized(401))
        #expect(failure(StripeAPI.parseObject(reference: "r", status: 429, body: [], headers: headers([("retry-after", "2")]))) == .rateLimited(2))
        #expect(failure(object("", status: 500)) == .unavailable(500))
        #expect(failure(StripeAPI.parseEvents(status: 503, body: [])) == .unavailable(503))
    }

    @Test func hostileObjectsAreBadAnswers() {
        for body in ["", "{", "[]", #"{"object":"charge","status":"succeeded","metadata":{"reference":"ORD-1001"}}"#,
                     Self.intent.replacingOccurrences("ORD-1001", "ORD-1002"),
                     Self.intent.replacingOccurrences(#""metadata":{"reference":"ORD-1001"}"#, #""metadata":{}"#),
                     Self.intent.replacingOccurrences(#""amount":2000"#, #""amount":1e400"#),
                     Self.intent.replacingOccurrences(#""amount":2000"#, #""amount":"2000.00""#),
                     Self.intent.replacingOccurrences(#""amount":2000,"#, ""),
                     Self.intent.replacingOccurrences(#""currency":"usd""#, #""currency":7"#).replacingOccurrences("usd", ""),
                     Self.intent.replacingOccurrences(#""status":"succeeded""#, #""status":{}"#),
                     #"{"object":"search_result","data":{}}"#, #"{"object":"search_result","data":[1]}"#] {
            #expect(failure(object(body)) == .badAnswer, "\(body.prefix(70))")
        }
    }

    @Test func eventsAreReadAsTheWebhookReadsThem() throws {
        let page = try StripeAPI.parseEvents(status: 200, body: bytes(Self.events(hasMore: true))).get()
        #expect(page.next == .startingAfter("evt_0"))
        #expect(page.answers.map(\.verdict) == [.paid, .failed, .paid])
        #expect(page.answers.map(\.reference) == ["ORD-1002", "ORD-1001", "ORD-1001"])
        #expect(page.answers[1].message == "Your card was declined.")
        #expect(try StripeAPI.parseEvents(status: 200, body: bytes(Self.events(hasMore: false))).get().next == nil)
        // The same event through the webhook's reading gives the same payment, amount and intent.
        let event = #"{"id":"evt_0","type":"payment_intent.succeeded","data":{"object":\#(Self.intent)}}"#
        let webhook = try Stripe.interpret(try JSONParser.parse(bytes(event)))
        let answer = page.answers[2]
        #expect(webhook.reference == answer.reference && webhook.amount == answer.amount && webhook.currency == answer.currency)
        #expect(webhook.providerReference == answer.providerReference && webhook.email == answer.email && webhook.stage == answer.outcome.stage)
        // A completed session whose money is still on its way (a delayed method) is pending.
        let unpaid = #"{"object":"list","has_more":false,"data":[{"id":"evt_9","type":"checkout.session.completed","data":{"object":\#(Self.session.replacingOccurrences(#""payment_status":"paid""#, #""payment_status":"unpaid""#))}}]}"#
        #expect(try StripeAPI.parseEvents(status: 200, body: bytes(unpaid)).get().answers.map(\.verdict) == [.pending])
    }

    @Test func hostileEventListsAreBadAnswers() {
        for body in ["", "{}", #"{"data":[],"has_more":"yes"}"#, #"{"data":{},"has_more":false}"#, #"{"data":[],"has_more":true}"#,
                     #"{"data":["evt"],"has_more":false}"#, #"{"data":[{"type":"payment_intent.succeeded","data":{"object":{}}}],"has_more":false}"#,
                     #"{"data":[{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":7}}],"has_more":false}"#,
                     #"{"data":[{"id":"evt_1","data":{"object":{}}}],"has_more":false}"#] {
            #expect(failure(StripeAPI.parseEvents(status: 200, body: bytes(body))) == .badAnswer, "\(body)")
        }
    }
}
