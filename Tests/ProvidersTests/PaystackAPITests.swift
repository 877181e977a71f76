import HTTP1
import HTTPClient
import Hub
import Testing
@testable import Providers

/// Paystack's Verify and List Transactions, with answers shaped like Paystack's documented
/// examples (PaystackOSS/doc-code-snippets: api/transactions/verify and list responses).
@Suite("Paystack API")
struct PaystackAPITests {
    let api = PaystackAPI(secret: "sk_test_paystack_secret_123")

    static let verified = #"""
    {"status":true,"message":"Verification successful","data":{"id":2009945086,"domain":"test","status":"success",
    "reference":"rd0bz6z2wu","amount":20000,"message":null,"gateway_response":"Successful","paid_at":"2022-08-09T14:21:32.000Z",
    "created_at":"2022-08-09T14:20:57.000Z","channel":"card","currency":"NGN","ip_address":"100.64.11.35","metadata":"",
    "log":{"start_time":1660054888,"time_spent":4,"attempts":1,"errors":0,"success":true,"mobile":false,"input":[],
    "history":[{"type":"action","message":"Attempted to pay with card","time":3},{"type":"success","message":"Successfully paid with card","time":4}]},
    "fees":100,"fees_split":null,"authorization":{"authorization_code":"AUTH_ahisucjkru","bin":"408408","last4":"4081","exp_month":"12",
    "exp_year":"2030","channel":"card","card_type":"visa ","bank":"TEST BANK","country_code":"NG","brand":"visa","reusable":true,
    "signature":"SIG_yEXu7dLBeqG0kU7g95Ke","account_name":null},"customer":{"id":89929267,"first_name":null,"last_name":null,
    "email":"hello@email.com","customer_code":"CUS_i5yosncbl8h2kvc","phone":null,"metadata":null,"risk_action":"default",
    "international_format_phone":null},"plan":null,"split":{},"order_id":null,"paidAt":"2022-08-09T14:21:32.000Z",
    "createdAt":"2022-08-09T14:20:57.000Z","requested_amount":20000,"pos_transaction_data":null,"source":null,"fees_breakdown":null,
    "transaction_date":"2022-08-09T14:20:57.000Z","plan_object":{},"subaccount":{}}}
    """#

    static let listed = #"""
    {"status":true,"message":"Transactions retrieved","data":[
    {"id":5833,"domain":"test","status":"failed","reference":"icy9ma6jd1","amount":100,"message":null,"gateway_response":"Declined",
    "paid_at":null,"created_at":"2016-09-29T00:00:05.000Z","channel":"card","currency":"NGN","ip_address":null,"metadata":null,
    "timeline":null,"customer":{"first_name":"Test","last_name":"Dummy","email":"test@dummy.com","phone":"16504173147","metadata":null,
    "customer_code":"CUS_1uld4hluw0g2gn0"},"authorization":{},"plan":{},"requested_amount":100},
    {"id":298126,"domain":"live","status":"success","reference":"z1gsnks86e6kfo8","amount":10000,"message":null,"gateway_response":"Approved",
    "paid_at":"2016-09-29T00:03:25.000Z","created_at":"2016-09-29T00:03:22.000Z","channel":"card","currency":"NGN","ip_address":null,
    "metadata":{"custom_fields":[{"display_name":"Mobile Number","variable_name":"mobile_number","value":"+2348012345678"}]},
    "log":null,"fees":null,"customer":{"id":8279,"email":"test@dummy.com"},"requested_amount":10000}],
    "meta":{"total":2,"skipped":0,"perPage":50,"page":1,"pageCount":PAGES}}
    """#

    func verify(_ body: String, status: Int = 200, reference: String = "rd0bz6z2wu", headers: HTTPHeaders = HTTPHeaders())
        -> Result<ProviderAnswer, ProviderCallError> {
        PaystackAPI.parseVerify(reference: reference, status: status, body: bytes(body), headers: headers)
    }

    @Test func verifyIsAGetWithTheSecretAsBearerAndTheReferenceOneEncodedSegment() {
        let request = api.verify(reference: "rd0bz6z2wu")
        #expect(request.method == "GET" && request.body.isEmpty)
        #expect(request.url.description == "https://api.paystack.co/transaction/verify/rd0bz6z2wu")
        #expect(request.headers["Authorization"] == "Bearer sk_test_paystack_secret_123")
        #expect(request.headers["Accept"] == "application/json")
        #expect(api.verify(reference: "a/b?c#d e&f").url.target == "/transaction/verify/a%2Fb%3Fc%23d%20e%26f")
        #expect(api.verify(reference: "..").url.target == "/transaction/verify/%2E%2E")
        #expect(api.verify(reference: "ré").url.target == "/transaction/verify/r%C3%A9")
        let proxied = PaystackAPI(baseURL: OutgoingURL("http://127.0.0.1:8080/paystack/")!, secret: "s")
        #expect(proxied.verify(reference: "x").url.description == "http://127.0.0.1:8080/paystack/transaction/verify/x")
    }

    @Test func listAsksForSuccessfulTransactionsBetweenTwoInstantsInISO8601() {
        // 2016-09-24T00:00:05Z, the docs' example, and a day later.
        let request = api.listSuccessful(from: 1_474_675_205_000, to: 1_474_761_605_123, page: 2)
        #expect(request.method == "GET" && request.headers["Authorization"] == "Bearer sk_test_paystack_secret_123")
        #expect(request.url.target == "/transaction?status=success&from=2016-09-24T00%3A00%3A05.000Z&to=2016-09-25T00%3A00%3A05.123Z&page=2&perPage=100")
        #expect(api.listSuccessful(from: -5, to: 0, page: 0).url.target.contains("from=1970-01-01T00%3A00%3A00.000Z&to=1970-01-01T00%3A00%3A00.000Z&page=1&"))
        #expect(api.listSuccessful(from: .max, to: .max, page: -3).url.target.contains("from=9999-12-31T23%3A59%3A59.999Z"))
    }

    @Test func aSuccessfulVerificationIsPaidWithTheWebhooksUnits() throws {
        let answer = try verify(Self.verified).get()
        #expect(answer.provider == "paystack" && answer.reference == "rd0bz6z2wu" && answer.verdict == .paid)
        #expect(answer.amount == Money(minorUnits: 20000) && answer.currency == "NGN")
        #expect(answer.providerReference == "2009945086" && answer.email == "hello@email.com" && answer.message == "Successful")
        #expect(answer.deliveryKey == "provider_api:paystack:rd0bz6z2wu:paid" && !answer.partial)
        let outcome = answer.outcome
        #expect(outcome.stage == .webhookReceived && outcome.errorMessage == nil && outcome.deliveryKey == answer.deliveryKey)
        #expect(outcome.amount == answer.amount && outcome.currency == "NGN" && outcome.providerReference == "2009945086")
    }

    @Test func eachStatusHasItsVerdict() throws {
        func verdict(_ status: String) throws -> ProviderAnswer {
            try verify(Self.verified.replacingOccurrences(#""status":"success""#, #""status":"\#(status)""#)
                .replacingOccurrences(#""gateway_response":"Successful""#, #""gateway_response":"Declined""#)).get()
        }
        let failed = try verdict("failed")
        #expect(failed.verdict == .failed && failed.message == "Declined" && failed.outcome.stage == .failed && failed.outcome.errorMessage == "Declined")
        #expect(try verdict("reversed").verdict == .failed)
        #expect(try verdict("reversed").message == "Paystack: the transaction was reversed (Declined)")
        // A long gateway response does not take the reversal's words past the limit (the fuzzer's invariant).
        let long = try verify(Self.verified.replacingOccurrences(#""status":"success""#, #""status":"reversed""#)
            .replacingOccurrences(#""gateway_response":"Successful""#, #""gateway_response":"\#(String(repeating: "x", count: 461))""#)).get()
        #expect(long.message?.unicodeScalars.count == 500)
        for pending in ["abandoned", "ongoing", "pending", "processing", "queued", "something_new"] {
            let answer = try verdict(pending)
            #expect(answer.verdict == .pending && answer.outcome.stage == nil, "\(pending)")
        }
    }

    @Test func anUnknownReferenceIsNotFound() throws {
        let notFound = #"{"status":false,"message":"Transaction reference not found"}"#
        for status in [400, 404, 200] {
            let answer = try verify(notFound, status: status, reference: "nope").get()
            #expect(answer.verdict == .notFound && answer.reference == "nope" && answer.outcome.stage == nil, "\(status)")
            #expect(answer.deliveryKey == "provider_api:paystack:nope:notFound")
        }
        #expect(try verify(#"{"status":false,"message":"Transaction not found"}"#, status: 400).get().verdict == .notFound)
        // A 404 about something else (a wrong base URL, a proxy's page) says nothing of the payment.
        #expect(failure(verify("<html>Not Found</html>", status: 404)) == .badAnswer)
        #expect(failure(verify(#"{"status":false,"message":"Route not found"}"#, status: 404)) == .badAnswer)
    }

    @Test func statusesSayWhatWentWrong() {
        let refused = #"{"status":false,"message":"Invalid key"}"#
        #expect(failure(verify(refused, status: 400)) == .unauthorized(400))
        #expect(failure(verify(refused, status: 401)) == .unauthorized(401))
        #expect(failure(verify("", status: 403)) == .unauthorized(403))
        #expect(failure(verify("", status: 429, headers: headers([("Retry-After", "30")]))) == .rateLimited(30))
        #expect(failure(verify("", status: 429)) == .rateLimited(nil))
        #expect(failure(verify("oops", status: 500)) == .unavailable(500))
        #expect(failure(verify("", status: 503)) == .unavailable(503))
        #expect(failure(verify(#"{"status":false,"message":"Invalid 'from' date"}"#, status: 400)) == .badAnswer)
        #expect(failure(verify(Self.verified, status: 700)) == .badAnswer)
    }

    @Test func hostileVerificationsAreBadAnswers() {
        let cases = [
            "", "not json", "[1,2]", "null", #"{"status":true}"#, #"{"status":"true","data":{}}"#,
            #"{"status":true,"data":[]}"#,
            Self.verified.replacingOccurrences(#""amount":20000"#, #""amount":99999999999999999999999"#),
            Self.verified.replacingOccurrences(#""amount":20000"#, #""amount":-5"#),
            Self.verified.replacingOccurrences(#""amount":20000"#, #""amount":"lots""#),
            Self.verified.replacingOccurrences(#""amount":20000"#, #""amount":200.5"#),
            Self.verified.replacingOccurrences(#""amount":20000,"#, ""),
            Self.verified.replacingOccurrences(#""currency":"NGN","#, ""),
            Self.verified.replacingOccurrences(#""reference":"rd0bz6z2wu","#, ""),
            Self.verified.replacingOccurrences(#""reference":"rd0bz6z2wu""#, #""reference":{"a":1}"#),
            Self.verified.replacingOccurrences(#""reference":"rd0bz6z2wu""#, #""reference":"someone-else""#),
            Self.verified.replacingOccurrences(#""status":"success""#, #""status":["success"]"#),
            Self.verified.replacingOccurrences(#""status":"success""#, #""status":null"#),
            String(Self.verified.dropLast(3)),
        ]
        for body in cases { #expect(failure(verify(body)) == .badAnswer, "\(body.prefix(80))") }
        #expect(failure(PaystackAPI.parseVerify(reference: "r", status: 200, body: [UInt8](repeating: 0x20, count: (1 << 20) + 1))) == .badAnswer)
    }

    @Test func aListIsReadItemByItemWithTheNextPage() throws {
        let page = try PaystackAPI.parseList(status: 200, body: bytes(Self.listed.replacingOccurrences("PAGES", "1"))).get()
        #expect(page.next == nil && page.answers.count == 2)
        #expect(page.answers[0].reference == "icy9ma6jd1" && page.answers[0].verdict == .failed && page.answers[0].message == "Declined")
        #expect(page.answers[1].reference == "z1gsnks86e6kfo8" && page.answers[1].verdict == .paid)
        #expect(page.answers[1].amount == Money(minorUnits: 10000) && page.answers[1].providerReference == "298126")
        #expect(try PaystackAPI.parseList(status: 200, body: bytes(Self.listed.replacingOccurrences("PAGES", "3"))).get().next == .page(2))
        // A reference no payment of ours can have is left out, not refused.
        let long = String(repeating: "x", count: 300)
        let skipped = try PaystackAPI.parseList(status: 200, body: bytes(Self.listed.replacingOccurrences("PAGES", "1")
            .replacingOccurrences("icy9ma6jd1", long))).get()
        #expect(skipped.answers.map(\.reference) == ["z1gsnks86e6kfo8"])
    }

    @Test func hostileListsAreBadAnswers() {
        let good = Self.listed.replacingOccurrences("PAGES", "1")
        for body in [good.replacingOccurrences(#""meta":{"#, #""other":{"#), good.replacingOccurrences(#""pageCount":1"#, #""pageCount":"x""#),
                     #"{"status":true,"data":{},"meta":{"page":1,"pageCount":1}}"#, #"{"status":true,"data":[3],"meta":{"page":1,"pageCount":1}}"#,
                     #"{"status":true,"data":[{"status":"success"}],"meta":{"page":1,"pageCount":1}}"#, "{}", "]"] {
            #expect(failure(PaystackAPI.parseList(status: 200, body: bytes(body))) == .badAnswer, "\(body.prefix(60))")
        }
        #expect(failure(PaystackAPI.parseList(status: 401, body: [])) == .unauthorized(401))
        #expect(failure(PaystackAPI.parseList(status: 502, body: [])) == .unavailable(502))
    }
}
