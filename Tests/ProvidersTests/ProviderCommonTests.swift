import HTTP1
import HTTPClient
import Hub
import Testing
@testable import Providers

/// What every provider's calls share: secrets never printed, statuses, bounded text,
/// percent-encoding, the base URL's prefix, and an answer as a webhook's meaning.
@Suite("Provider calls")
struct ProviderCommonTests {
    /// Each API with secrets no printing may show, a request of it, and what that request
    /// must carry to prove the API holds them.
    static let secrets = ["sk_live_PAYSTACK_111", "sk_live_STRIPE_222", "NP_KEY_333", "MPESA_KEY_444", "MPESA_SECRET_555", "MPESA_PASSKEY_666"]
    static var apis: [(value: Any, request: OutgoingRequest, carries: String)] {
        let paystack = PaystackAPI(secret: secrets[0])
        let stripe = StripeAPI(apiKey: secrets[1])
        let nowpayments = NOWPaymentsAPI(apiKey: secrets[2])
        let mpesa = MPesaAPI(consumerKey: secrets[3], consumerSecret: secrets[4], shortcode: "174379", passkey: secrets[5])
        return [(paystack, paystack.verify(reference: "r"), "Bearer \(secrets[0])"), (stripe, stripe.object(id: "pi_1"), "Bearer \(secrets[1])"),
                (nowpayments, nowpayments.payment(id: "1"), secrets[2]), (mpesa, mpesa.token(), "Basic " + base64("\(secrets[3]):\(secrets[4])")),
                (mpesa, mpesa.stkQuery(checkoutRequestID: "ws", token: "t", now: 0), base64("174379\(secrets[5])19700101030000"))]
    }

    @Test func noPrintingOfAnAPIShowsItsSecrets() {
        for (api, request, carries) in Self.apis {
            var dumped = ""
            dump(api, to: &dumped)
            let mirrored = Mirror(reflecting: api).children.map { "\($0.label ?? ""): \($0.value)" }.joined(separator: ", ")
            let printed = [String(describing: api), String(reflecting: api), "\(api)", dumped, mirrored, String(describing: [api])]
            for text in printed {
                for secret in Self.secrets { #expect(!text.contains(secret), "\(text)") }
                #expect(text.contains("<redacted>"), "\(text)")
            }
            // The secrets are there all the same: in the request's header or body.
            #expect((request.headers.fields.map(\.value) + [request.bodyText]).contains { $0.contains(carries) }, "\(carries) is not sent")
        }
    }

    @Test func theSecretItselfPrintsRedactedWherever() {
        let secret = ProviderSecret("sk_live_inner_999")
        var dumped = ""
        dump(secret, to: &dumped)
        for text in [String(describing: secret), String(reflecting: secret), "\(secret)", dumped, "\(Mirror(reflecting: secret).children.map(\.value))"] {
            #expect(!text.contains("sk_live_inner_999"), "\(text)")
        }
        #expect(secret.value == "sk_live_inner_999" && String(describing: secret) == "<redacted>")
    }

    @Test func aMissingOrUnsendableSecretIsNotConfigured() {
        #expect(PaystackAPI(secret: "sk").configurationProblem == nil)
        #expect(PaystackAPI(secret: "").configurationProblem == .notConfigured("no Paystack secret key is configured"))
        #expect(StripeAPI(apiKey: "").configurationProblem != nil && NOWPaymentsAPI(apiKey: "").configurationProblem != nil)
        let split = PaystackAPI(secret: "sk\r\nX-Evil: 1")
        guard case .notConfigured? = split.configurationProblem else { Issue.record("a secret with CR LF was accepted"); return }
        // Sent anyway, it cannot add a header.
        let request = split.verify(reference: "r")
        #expect(request.headers["Authorization"] == "Bearer skX-Evil: 1" && request.headers["X-Evil"] == nil)
    }

    @Test func theStatusAloneSaysWhatIsTheSameForEveryProvider() {
        #expect(ProviderCallError.forStatus(401, headers: HTTPHeaders()) == .unauthorized(401))
        #expect(ProviderCallError.forStatus(403, headers: HTTPHeaders()) == .unauthorized(403))
        #expect(ProviderCallError.forStatus(429, headers: headers([("Retry-After", " 120 ")])) == .rateLimited(retryAfterSeconds: 120))
        #expect(ProviderCallError.forStatus(599, headers: HTTPHeaders()) == .unavailable(599))
        for status in [200, 400, 404] { #expect(ProviderCallError.forStatus(status, headers: HTTPHeaders()) == nil) }
        for status in [0, 99, 600, -1, .max] {
            guard case .badAnswer? = ProviderCallError.forStatus(status, headers: HTTPHeaders()) else { Issue.record("\(status)"); continue }
        }
        #expect(ProviderCallError.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == nil && ProviderCallError.retryAfter("-1") == nil)
        #expect(ProviderCallError.retryAfter("99999999") == 86_400 && ProviderCallError.retryAfter("99999999999999999999") == nil)
        #expect(ProviderCallError.retryAfter("0") == 0 && ProviderCallError.retryAfter("") == nil && ProviderCallError.retryAfter(nil) == nil)
        #expect(ProviderCallError.rateLimited(retryAfterSeconds: 5).description == "rate limited: retry after 5 s")
        #expect(ProviderCallError.unauthorized(401).description == "the provider refused our key (HTTP 401)")
    }

    @Test func keptTextIsBounded() {
        #expect(ProviderText.message(String(repeating: "é", count: 10_000))?.unicodeScalars.count == 500)
        // One character of a hundred thousand combining marks is still at most 500 scalars.
        let zalgo = "a" + String(repeating: "\u{301}", count: 100_000)
        #expect(ProviderText.message(zalgo)?.unicodeScalars.count == 500)
        #expect(ProviderText.message("Declined\0\r\nby bank") == "Declined   by bank")
        #expect(ProviderText.message(" \n\t") == nil && ProviderText.message(nil as String?) == nil)
        #expect(ProviderText.kept(String(repeating: "r", count: 256), limit: 256) != nil)
        #expect(ProviderText.kept(String(repeating: "r", count: 257), limit: 256) == nil)
        #expect(ProviderText.kept("a\0b", limit: 256) == nil && ProviderText.kept("", limit: 256) == nil)
    }

    @Test func percentEncodingKeepsOnlyUnreservedCharacters() {
        #expect(PercentEncoding.encode("AZaz09-._~") == "AZaz09-._~")
        #expect(PercentEncoding.encode(" !\"#$%&'()*+,/:;=?@[\\]^`{|}") == "%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5C%5D%5E%60%7B%7C%7D")
        #expect(PercentEncoding.encode("\0ñ") == "%00%C3%B1")
        #expect(PercentEncoding.pathSegment(".") == "%2E" && PercentEncoding.pathSegment("..") == "%2E%2E" && PercentEncoding.pathSegment("...") == "...")
        #expect(PercentEncoding.query([("a[]", "x y"), ("b", "")]) == "a%5B%5D=x%20y&b=")
    }

    @Test func theBaseURLsPathIsAPrefixAndItsQueryIsDropped() {
        let base = OutgoingURL("https://proxy.example:8443/stripe//?token=1")!
        let url = ProviderEndpoint(base: base).url("/v1/events", query: "limit=1")
        #expect(url.description == "https://proxy.example:8443/stripe/v1/events?limit=1" && url.port == 8443 && url.isTLS)
        #expect(ProviderEndpoint(base: OutgoingURL("http://[::1]:9000")!).url("/x").description == "http://[::1]:9000/x")
        #expect(PaystackAPI.defaultBaseURL.description == "https://api.paystack.co/" && StripeAPI.defaultBaseURL.host == "api.stripe.com")
        #expect(NOWPaymentsAPI.defaultBaseURL.host == "api.nowpayments.io" && MPesaAPI.defaultBaseURL.host == "api.safaricom.co.ke")
    }

    @Test func anAnswerIsAWebhooksMeaning() {
        let paid = ProviderAnswer(provider: .nowpayments, reference: "R1", verdict: .paid, amount: Money(minorUnits: 5), currency: "USD",
                                  providerReference: "77", partial: true, message: "ok", email: "a@b.c")
        #expect(paid.deliveryKey == "provider_api:nowpayments:R1:paid")
        let outcome = paid.outcome
        #expect(outcome.reference == "R1" && outcome.stage == .webhookReceived && outcome.amount == Money(minorUnits: 5) && outcome.currency == "USD")
        #expect(outcome.providerReference == "77" && outcome.partial && outcome.email == "a@b.c" && outcome.errorMessage == nil)
        #expect(outcome.deliveryKey == "provider_api:nowpayments:R1:paid")
        let failed = ProviderAnswer(provider: .paystack, reference: "R2", verdict: .failed, message: "Declined")
        #expect(failed.outcome.stage == .failed && failed.outcome.errorMessage == "Declined" && !failed.outcome.partial)
        for verdict in [ProviderAnswer.Verdict.pending, .notFound] {
            let answer = ProviderAnswer(provider: .mpesa, reference: "R3", verdict: verdict, message: "wait")
            #expect(answer.outcome.stage == nil && answer.outcome.errorMessage == nil && answer.deliveryKey == "provider_api:mpesa:R3:\(verdict.rawValue)")
        }
    }
}

/// RFC 4648 base64 written out here, so the test does not check the code with itself.
private func base64(_ text: String) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    let input = Array(text.utf8)
    var out = ""
    var index = 0
    while index < input.count {
        let chunk = input[index..<min(index + 3, input.count)]
        var n = 0
        for (offset, byte) in chunk.enumerated() { n |= Int(byte) << (16 - 8 * offset) }
        for k in 0..<4 { out.append(k <= chunk.count ? alphabet[(n >> (18 - 6 * k)) & 63] : "=") }
        index += 3
    }
    return out
}
