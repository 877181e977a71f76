import HTTP1
import HTTPClient
import Hub
import JSON
import Testing
import Webhooks
@testable import Providers

/// NOWPayments' "Get payment status", with answers shaped like its documented example
/// (the "Apple Macbook Pro 2019 x 1" payment, order RGDBP-21314).
@Suite("NOWPayments API")
struct NOWPaymentsAPITests {
    let api = NOWPaymentsAPI(apiKey: "NP-KEY-789-SECRET")

    static let finished = #"""
    {"payment_id":5524759814,"payment_status":"finished","pay_address":"TNDFkiSmBQorNFacb3735q8MnT29sn8BLn","price_amount":3999.5,
    "price_currency":"usd","pay_amount":165.652609,"actually_paid":165.652609,"pay_currency":"trx","order_id":"RGDBP-21314",
    "order_description":"Apple Macbook Pro 2019 x 1","purchase_id":"4944856743","created_at":"2020-12-16T14:30:43.306Z",
    "updated_at":"2020-12-16T14:40:46.523Z","outcome_amount":178.9005,"outcome_currency":"trx"}
    """#

    func payment(_ body: String, status: Int = 200, reference: String = "RGDBP-21314") -> Result<ProviderAnswer, ProviderCallError> {
        NOWPaymentsAPI.parsePayment(reference: reference, status: status, body: bytes(body))
    }

    func withStatus(_ status: String) -> String {
        Self.finished.replacingOccurrences(#""payment_status":"finished""#, #""payment_status":"\#(status)""#)
    }

    @Test func aPaymentIsAskedByItsIdWithTheKeyInItsHeader() {
        let request = api.payment(id: "5524759814")
        #expect(request.method == "GET" && request.url.description == "https://api.nowpayments.io/v1/payment/5524759814")
        #expect(request.headers["x-api-key"] == "NP-KEY-789-SECRET" && request.headers["Authorization"] == nil)
        #expect(api.payment(id: "1/../2").url.target == "/v1/payment/1%2F..%2F2")
    }

    @Test func aFinishedPaymentIsPaidAtItsPrice() throws {
        let answer = try payment(Self.finished).get()
        #expect(answer.provider == "nowpayments" && answer.reference == "RGDBP-21314" && answer.verdict == .paid && !answer.partial)
        #expect(answer.amount == Money(minorUnits: 399_950) && answer.currency == "USD" && answer.providerReference == "5524759814")
        #expect(answer.message == nil && answer.deliveryKey == "provider_api:nowpayments:RGDBP-21314:paid")
        #expect(try payment(withStatus("confirmed")).get().verdict == .paid)
        // JPY has no minor unit: 3999.5 yen is not an amount, 4000 is 4000.
        #expect(failure(payment(Self.finished.replacingOccurrences(#""price_currency":"usd""#, #""price_currency":"jpy""#))) == .badAnswer)
        let yen = try payment(Self.finished.replacingOccurrences(#""price_currency":"usd""#, #""price_currency":"jpy""#)
            .replacingOccurrences("3999.5", "4000")).get()
        #expect(yen.amount == Money(minorUnits: 4000) && yen.currency == "JPY")
    }

    @Test func aPartialPaymentIsPaidPartialAtWhatArrived() throws {
        let partial = try payment(withStatus("partially_paid").replacingOccurrences(#""outcome_currency":"trx""#,
                                                                                    #""outcome_currency":"trx","actually_paid_at_fiat":2000.25"#)).get()
        #expect(partial.verdict == .paid && partial.partial && partial.amount == Money(minorUnits: 200_025))
        #expect(partial.outcome.partial && partial.outcome.stage == .webhookReceived)
        let unknown = try payment(withStatus("partially_paid")).get()
        #expect(unknown.partial && unknown.amount == nil && unknown.currency == "USD")
    }

    @Test func eachStatusHasItsVerdict() throws {
        for status in ["failed", "expired", "refunded"] {
            let answer = try payment(withStatus(status)).get()
            #expect(answer.verdict == .failed && answer.message == "NOWPayments status \(status)" && answer.outcome.errorMessage == answer.message)
        }
        for status in ["waiting", "confirming", "sending", "brand_new"] {
            #expect(try payment(withStatus(status)).get().verdict == .pending, "\(status)")
        }
    }

    @Test func theAnswerReadsAsTheIPNDoes() throws {
        for status in ["finished", "partially_paid", "expired", "waiting"] {
            let body = withStatus(status)
            let ipn = try NOWPayments.interpret(try JSONParser.parse(bytes(body)))
            let answer = try payment(body).get().outcome
            #expect(ipn.stage == answer.stage && ipn.amount == answer.amount && ipn.currency == answer.currency, "\(status)")
            #expect(ipn.partial == answer.partial && ipn.providerReference == answer.providerReference && ipn.errorMessage == answer.errorMessage)
        }
    }

    @Test func refusalsAndStatuses() throws {
        let notFound = #"{"status":false,"statusCode":404,"code":"NOT_FOUND","message":"Payment not found"}"#
        let answer = try payment(notFound, status: 404).get()
        #expect(answer.verdict == .notFound && answer.message == "Payment not found" && answer.outcome.stage == nil)
        let byCode = #"{"status":false,"statusCode":404,"code":"PAYMENT_NOT_FOUND","message":"No such thing"}"#
        #expect(try payment(byCode, status: 404).get().verdict == .notFound)
        #expect(failure(payment("<html>", status: 404)) == .badAnswer)
        #expect(failure(payment(#"{"status":false,"statusCode":404,"code":"NOT_FOUND","message":"Cannot GET /v2/payment/1"}"#, status: 404)) == .badAnswer)
        #expect(failure(payment(#"{"status":false,"statusCode":400,"code":"INVALID_REQUEST_PARAMS","message":"Payment id must be a number"}"#, status: 400)) == .badAnswer)
        #expect(failure(payment(#"{"status":false,"statusCode":403,"code":"INVALID_API_KEY","message":"Invalid api key"}"#, status: 403)) == .unauthorized(403))
        #expect(failure(payment("", status: 429)) == .rateLimited(nil))
        #expect(failure(payment("", status: 502)) == .unavailable(502))
    }

    @Test func hostilePaymentsAreBadAnswers() {
        for body in ["", "nul", "[]", "{}", Self.finished.replacingOccurrences("RGDBP-21314", "OTHER-1"),
                     Self.finished.replacingOccurrences(#""order_id":"RGDBP-21314","#, ""),
                     Self.finished.replacingOccurrences(#""order_id":"RGDBP-21314""#, #""order_id":null"#),
                     Self.finished.replacingOccurrences(#""payment_status":"finished","#, ""),
                     Self.finished.replacingOccurrences("3999.5", "1e999"), Self.finished.replacingOccurrences("3999.5", "-1"),
                     Self.finished.replacingOccurrences("3999.5", "99999999999999999999.5"),
                     Self.finished.replacingOccurrences("3999.5", #""x""#), Self.finished.replacingOccurrences("3999.5", "[1]"),
                     Self.finished.replacingOccurrences(#""price_amount":3999.5,"#, ""),
                     Self.finished.replacingOccurrences(#""price_currency":"usd""#, #""price_currency":"u s""#),
                     withStatus("partially_paid").replacingOccurrences(#""outcome_currency":"trx""#, #""outcome_currency":"trx","actually_paid_at_fiat":"abc""#)] {
            #expect(failure(payment(body)) == .badAnswer, "\(body.prefix(70))")
        }
    }
}
