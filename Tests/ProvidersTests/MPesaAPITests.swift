import HTTP1
import HTTPClient
import Hub
import JSON
import Testing
@testable import Providers

/// Daraja's OAuth token and M-Pesa Express Query, with the sandbox's documented values:
/// shortcode 174379, its passkey, and the docs' example Password for Timestamp 20160216165627.
@Suite("M-Pesa Daraja API")
struct MPesaAPITests {
    static let sandboxPasskey = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
    let api = MPesaAPI(consumerKey: "consumer_key", consumerSecret: "consumer_secret", shortcode: "174379", passkey: Self.sandboxPasskey)

    static let processed = #"""
    {"ResponseCode":"0","ResponseDescription":"The service request has been accepted successsfully","MerchantRequestID":"22205-34066-1",
    "CheckoutRequestID":"ws_CO_13012021093521236557","ResultCode":"0","ResultDesc":"The service request is processed successfully."}
    """#

    func query(_ body: String, status: Int = 200, id: String = "ws_CO_13012021093521236557") -> Result<ProviderAnswer, ProviderCallError> {
        MPesaAPI.parseSTKQuery(checkoutRequestID: id, status: status, body: bytes(body))
    }

    @Test func theTokenIsAskedWithBasicCredentials() {
        let request = api.token()
        #expect(request.method == "GET" && request.body.isEmpty)
        #expect(request.url.description == "https://api.safaricom.co.ke/oauth/v1/generate?grant_type=client_credentials")
        // base64("consumer_key:consumer_secret"), computed with Python's base64.
        #expect(request.headers["Authorization"] == "Basic Y29uc3VtZXJfa2V5OmNvbnN1bWVyX3NlY3JldA==")
    }

    @Test func theTokenAnswerIsRead() throws {
        let token = try MPesaAPI.parseToken(status: 200, body: bytes(#"{"access_token":"SGWcJPtNtYNPGm6uSYR9yPYrAI3Bm","expires_in":"3599"}"#)).get()
        #expect(token.token == "SGWcJPtNtYNPGm6uSYR9yPYrAI3Bm" && token.expiresInSeconds == 3599)
        #expect(try MPesaAPI.parseToken(status: 200, body: bytes(#"{"access_token":"t","expires_in":3599}"#)).get().expiresInSeconds == 3599)
        for body in ["", "{}", #"{"access_token":"a\r\nX-Evil: 1","expires_in":"3599"}"#, #"{"access_token":"","expires_in":"3599"}"#,
                     #"{"access_token":"t","expires_in":"soon"}"#, #"{"access_token":"t","expires_in":"0"}"#,
                     #"{"access_token":"t","expires_in":"99999999999999999999"}"#, #"{"access_token":["t"],"expires_in":"1"}"#] {
            #expect(failure(MPesaAPI.parseToken(status: 200, body: bytes(body))) == .badAnswer, "\(body)")
        }
        #expect(failure(MPesaAPI.parseToken(status: 400, body: bytes(#"{"errorCode":"400.008.01","errorMessage":"Invalid Authentication passed"}"#))) == .unauthorized(400))
        #expect(failure(MPesaAPI.parseToken(status: 401, body: [])) == .unauthorized(401))
        #expect(failure(MPesaAPI.parseToken(status: 503, body: [])) == .unavailable(503))
    }

    @Test func theQueryCarriesTheDocumentedPasswordAndKenyasTime() throws {
        // 2016-02-16 16:56:27 in Nairobi is 13:56:27 UTC (Python: calendar.timegm).
        let request = api.stkQuery(checkoutRequestID: "ws_CO_260520211133524545", token: "SGWcJPtNtYNPGm6uSYR9yPYrAI3Bm", now: 1_455_630_987_000)
        #expect(request.method == "POST" && request.url.description == "https://api.safaricom.co.ke/mpesa/stkpushquery/v1/query")
        #expect(request.headers["Authorization"] == "Bearer SGWcJPtNtYNPGm6uSYR9yPYrAI3Bm" && request.headers["Content-Type"] == "application/json")
        #expect(request.bodyText == #"{"BusinessShortCode":"174379","Password":"MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMTYwMjE2MTY1NjI3","Timestamp":"20160216165627","CheckoutRequestID":"ws_CO_260520211133524545"}"#)
        #expect(MPesaAPI.timestamp(milliseconds: 1_455_661_800_000) == "20160217013000")  // 22:30 UTC is 01:30 the next day in Nairobi
        #expect(MPesaAPI.timestamp(milliseconds: -1) == "19700101030000" && MPesaAPI.timestamp(milliseconds: .max) == "99991231235959")
        // What the caller passes cannot add a header or break the JSON.
        let hostile = api.stkQuery(checkoutRequestID: #"x","Amount":"1"#, token: "t\r\nX-Evil: 1", now: 0)
        #expect(hostile.headers["Authorization"] == "Bearer tX-Evil: 1" && hostile.headers["X-Evil"] == nil)
        #expect(try JSONParser.parse(hostile.body)["CheckoutRequestID"] == .string(#"x","Amount":"1"#))
    }

    @Test func aProcessedQueryIsPaidWithoutAmountOrReceipt() throws {
        let answer = try query(Self.processed).get()
        #expect(answer.provider == "mpesa" && answer.reference == "ws_CO_13012021093521236557" && answer.verdict == .paid)
        #expect(answer.amount == nil && answer.providerReference == nil && answer.currency == "KES")
        #expect(answer.message == "The service request is processed successfully." && answer.outcome.stage == .webhookReceived)
        #expect(answer.deliveryKey == "provider_api:mpesa:ws_CO_13012021093521236557:paid")
        #expect(try query(Self.processed.replacingOccurrences(#""ResultCode":"0""#, #""ResultCode":0"#)).get().verdict == .paid)
    }

    @Test func everyOtherResultCodeIsFailedWithItsDescription() throws {
        for (code, description) in [("1032", "Request cancelled by user"), ("1037", "DS timeout user cannot be reached"),
                                    ("1", "The balance is insufficient for the transaction."), ("2001", "The initiator information is invalid.")] {
            let answer = try query(Self.processed.replacingOccurrences(#""ResultCode":"0","ResultDesc":"The service request is processed successfully.""#,
                                                                       #""ResultCode":"\#(code)","ResultDesc":"\#(description)""#)).get()
            #expect(answer.verdict == .failed && answer.message == description && answer.outcome.errorMessage == description, "\(code)")
        }
    }

    @Test func aPushStillOpenIsPendingAndOtherErrorsSayWhy() throws {
        let open = #"{"requestId":"ws_CO_20022018230142206","errorCode":"500.001.1001","errorMessage":"The transaction is being processed"}"#
        let pending = try query(open, status: 500).get()
        #expect(pending.verdict == .pending && pending.outcome.stage == nil && pending.message == "The transaction is being processed")
        #expect(failure(query(#"{"requestId":"1","errorCode":"500.001.1001","errorMessage":"Merchant does not exist"}"#, status: 500)) == .unavailable(500))
        #expect(failure(query(#"{"requestId":"1","errorCode":"404.001.03","errorMessage":"Invalid Access Token"}"#, status: 404)) == .unauthorized(404))
        #expect(failure(query(#"{"requestId":"1","errorCode":"500.001.1001","errorMessage":"Wrong credentials"}"#, status: 500)) == .unauthorized(500))
        let unknown = try query(#"{"requestId":"1","errorCode":"400.002.02","errorMessage":"Bad Request - Invalid CheckoutRequestID"}"#, status: 400).get()
        #expect(unknown.verdict == .notFound && unknown.outcome.stage == nil)
        #expect(failure(query(#"{"requestId":"1","errorCode":"400.002.02","errorMessage":"Bad Request - Invalid Timestamp"}"#, status: 400)) == .badAnswer)
        #expect(failure(query("", status: 401)) == .unauthorized(401))
        #expect(failure(query("", status: 429)) == .rateLimited(nil))
    }

    @Test func hostileQueriesAreBadAnswers() {
        for body in ["", "0", "{}", Self.processed.replacingOccurrences("ws_CO_13012021093521236557", "ws_CO_other"),
                     Self.processed.replacingOccurrences(#""ResultCode":"0","#, ""), Self.processed.replacingOccurrences(#""ResultCode":"0""#, #""ResultCode":{}"#),
                     Self.processed.replacingOccurrences(#""CheckoutRequestID":"ws_CO_13012021093521236557""#, #""CheckoutRequestID":null"#),
                     Self.processed.replacingOccurrences(#""ResultCode":"0""#, #""ResultCode":"00000000000000000000""#)] {
            #expect(failure(query(body)) == .badAnswer, "\(body.prefix(70))")
        }
    }

    @Test func aConfigurationDarajaCannotUseIsRefusedBeforeAnyRequest() {
        #expect(api.configurationProblem == nil)
        for bad in [MPesaAPI(consumerKey: "", consumerSecret: "s", shortcode: "174379", passkey: "p"),
                    MPesaAPI(consumerKey: "k:1", consumerSecret: "s", shortcode: "174379", passkey: "p"),
                    MPesaAPI(consumerKey: "k", consumerSecret: "s\n", shortcode: "174379", passkey: "p"),
                    MPesaAPI(consumerKey: "k", consumerSecret: "s", shortcode: "17437a", passkey: "p"),
                    MPesaAPI(consumerKey: "k", consumerSecret: "s", shortcode: "1234", passkey: "p"),
                    MPesaAPI(consumerKey: "k", consumerSecret: "s", shortcode: "174379", passkey: "")] {
            guard case .notConfigured? = bad.configurationProblem else { Issue.record("\(bad) was not refused"); continue }
        }
    }
}
