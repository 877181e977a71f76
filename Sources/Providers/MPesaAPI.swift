import HTTP1
import HTTPClient
import Hub
import JSON
import WebSocket

/// Safaricom's Daraja API (developer.safaricom.co.ke/apis): an OAuth access token
/// ("Authorization", GET /oauth/v1/generate) and the state of an STK push ("M-Pesa Express
/// Query", POST /mpesa/stkpushquery/v1/query).
public struct MPesaAPI: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let defaultBaseURL = OutgoingURL("https://api.safaricom.co.ke")!
    /// Kenya's time (East Africa Time, UTC+3 all year: Kenya keeps no daylight saving time).
    /// Daraja's docs give the Timestamp as YYYYMMDDHHmmss without a zone; Safaricom's own
    /// examples and every integration guide use Nairobi's clock, so that is what we send.
    static let kenyaOffsetMilliseconds: Int64 = 3 * 3_600_000

    public let baseURL: OutgoingURL
    /// The paybill or till number (BusinessShortCode): not a secret.
    public let shortcode: String
    private let consumerKey: ProviderSecret
    private let consumerSecret: ProviderSecret
    private let passkey: ProviderSecret

    public init(baseURL: OutgoingURL = MPesaAPI.defaultBaseURL, consumerKey: String, consumerSecret: String, shortcode: String, passkey: String) {
        self.baseURL = baseURL
        self.shortcode = shortcode
        self.consumerKey = ProviderSecret(consumerKey)
        self.consumerSecret = ProviderSecret(consumerSecret)
        self.passkey = ProviderSecret(passkey)
    }

    /// Why no request should be sent, or nil. The shortcode is "a 5 to 7-digit account
    /// number" (M-Pesa Express Query, BusinessShortCode); the consumer key is the user-id of
    /// Basic authentication, which cannot hold a colon (RFC 7617 §2).
    public var configurationProblem: ProviderCallError? {
        if let problem = secretProblem(consumerKey, named: "M-Pesa consumer key") ?? secretProblem(consumerSecret, named: "M-Pesa consumer secret")
            ?? secretProblem(passkey, named: "M-Pesa passkey") {
            return problem
        }
        if consumerKey.value.contains(":") { return .notConfigured("the M-Pesa consumer key holds a colon, which Basic authentication cannot carry") }
        guard (5...7).contains(shortcode.utf8.count), shortcode.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return .notConfigured("the M-Pesa shortcode is not 5 to 7 digits")
        }
        return nil
    }

    private var endpoint: ProviderEndpoint { ProviderEndpoint(base: baseURL) }

    /// GET /oauth/v1/generate?grant_type=client_credentials with
    /// `Authorization: Basic base64(consumer key:consumer secret)`.
    public func token() -> OutgoingRequest {
        let credentials = Base64.encode(Array("\(consumerKey.value):\(consumerSecret.value)".utf8))
        return endpoint.request("GET", "/oauth/v1/generate", query: "grant_type=client_credentials", headers: [("Authorization", "Basic \(credentials)")])
    }

    /// `{"access_token": "…", "expires_in": "3599"}` (`expires_in` a string in Daraja's
    /// example, a number accepted too). The token goes into a header, so one with a control
    /// character, or longer than 4 KiB, is refused; a 400 is our credentials refused.
    public static func parseToken(status: Int, body: [UInt8], headers: HTTPHeaders = HTTPHeaders())
        -> Result<(token: String, expiresInSeconds: Int), ProviderCallError> {
        Result { () throws(ProviderCallError) -> (token: String, expiresInSeconds: Int) in
            if let error = ProviderCallError.forStatus(status, headers: headers) { throw error }
            if status == 400 { throw .unauthorized(400) }
            guard status == 200 else { throw .badAnswer("Daraja answered \(status) to the token request") }
            let json = try AnswerReading.object(body)
            let token = try AnswerReading.text(json["access_token"], "access_token", limit: 4096)
            let expires = try AnswerReading.text(json["expires_in"], "expires_in", limit: 9)
            guard let seconds = Int(expires), (1...86_400).contains(seconds) else { throw .badAnswer("expires_in is not 1 to 86400 seconds") }
            return (token: token, expiresInSeconds: seconds)
        }
    }

    /// POST /mpesa/stkpushquery/v1/query with `Authorization: Bearer token` and
    /// `{BusinessShortCode, Password, Timestamp, CheckoutRequestID}`: Password is
    /// base64(shortcode + passkey + Timestamp), Timestamp YYYYMMDDHHmmss in Kenya's time
    /// at `now` (milliseconds since the epoch).
    public func stkQuery(checkoutRequestID: String, token: String, now milliseconds: Int64) -> OutgoingRequest {
        let timestamp = Self.timestamp(milliseconds: milliseconds)
        var json = JSONWriter()
        json.beginObject()
        json.field("BusinessShortCode", shortcode)
        json.field("Password", password(timestamp: timestamp))
        json.field("Timestamp", timestamp)
        json.field("CheckoutRequestID", checkoutRequestID)
        json.endObject()
        return endpoint.request("POST", "/mpesa/stkpushquery/v1/query", headers: [("Authorization", "Bearer \(token)")], body: json.bytes)
    }

    func password(timestamp: String) -> String {
        Base64.encode(Array((shortcode + passkey.value + timestamp).utf8))
    }

    /// YYYYMMDDHHmmss in Kenya's time, within the years 1970 to 9999.
    static func timestamp(milliseconds: Int64) -> String {
        let clamped = min(max(milliseconds, 0), 253_402_300_799_999 - kenyaOffsetMilliseconds)
        let iso = Array(Timestamp.iso8601(milliseconds: clamped + kenyaOffsetMilliseconds).utf8)  // 2016-02-16T16:56:27.000Z
        return String(decoding: iso[0..<4] + iso[5..<7] + iso[8..<10] + iso[11..<13] + iso[14..<16] + iso[17..<19], as: UTF8.self)
    }

    /// M-Pesa Express Query's answer: `ResultCode` "0" is paid, any other code (1032
    /// cancelled by the user, 1037 no answer from the phone, 1 insufficient funds, 2001
    /// wrong PIN, …) is failed with its `ResultDesc`. While the push is still open Daraja
    /// answers an error instead, `errorCode` 500.001.1001 "The transaction is being
    /// processed" (HTTP 500): pending. The query returns no amount and no receipt (those
    /// come in the callback), so the answer has neither. Of Daraja's other errors:
    /// 404.001.03 "Invalid Access Token" and "Wrong credentials" (a shortcode or passkey
    /// Daraja does not take) are `unauthorized`; 400.002.02 "Bad Request - Invalid
    /// CheckoutRequestID" is taken as `.notFound` (the docs do not say how an unknown id is
    /// answered; that is the only refusal that names it).
    public static func parseSTKQuery(checkoutRequestID: String, status: Int, body: [UInt8], headers: HTTPHeaders = HTTPHeaders())
        -> Result<ProviderAnswer, ProviderCallError> {
        Result { () throws(ProviderCallError) -> ProviderAnswer in
            let error = AnswerReading.objectIfAny(body)
            let message = ProviderText.message(error?["errorMessage"])
            if let message, message.lowercased().contains("being processed") {
                return ProviderAnswer(provider: .mpesa, reference: checkoutRequestID, verdict: .pending, currency: "KES", message: message)
            }
            if status != 200 {
                let code = ProviderText.kept(error?["errorCode"], limit: 32)
                // "Invalid Access Token": the token expired or is not ours; get another.
                if code == "404.001.03" || message?.lowercased().contains("wrong credentials") == true { throw .unauthorized(status) }
                if code == "400.002.02", message?.lowercased().hasSuffix("invalid checkoutrequestid") == true {
                    return ProviderAnswer(provider: .mpesa, reference: checkoutRequestID, verdict: .notFound, currency: "KES", message: message)
                }
                if let error = ProviderCallError.forStatus(status, headers: headers) { throw error }
                throw .badAnswer("Daraja answered \(status): \(code ?? "no errorCode") \(message ?? "")")
            }
            let json = try AnswerReading.object(body)
            if json["CheckoutRequestID"] != nil {
                let named = try AnswerReading.text(json["CheckoutRequestID"], "CheckoutRequestID", limit: ProviderText.referenceLimit)
                try AnswerReading.same(named, as: checkoutRequestID, "CheckoutRequestID")
            }
            let resultCode = try AnswerReading.text(json["ResultCode"], "ResultCode", limit: 16)
            let description = ProviderText.message(json["ResultDesc"])
            let paid = resultCode == "0"
            return ProviderAnswer(provider: .mpesa, reference: checkoutRequestID, verdict: paid ? .paid : .failed, currency: "KES",
                                  message: paid ? description : description ?? "M-Pesa ResultCode \(resultCode)")
        }
    }

    public var description: String {
        "MPesaAPI(baseURL: \(baseURL), shortcode: \(shortcode), consumerKey: \(ProviderSecret.redacted), "
            + "consumerSecret: \(ProviderSecret.redacted), passkey: \(ProviderSecret.redacted))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["baseURL": baseURL, "shortcode": shortcode, "consumerKey": ProviderSecret.redacted,
                                "consumerSecret": ProviderSecret.redacted, "passkey": ProviderSecret.redacted], displayStyle: .struct)
    }
}
