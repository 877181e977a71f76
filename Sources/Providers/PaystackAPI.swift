import HTTP1
import HTTPClient
import Hub
import JSON
import Webhooks

/// Paystack's Transactions API (paystack.com/docs/api/transaction: "Verify Transaction",
/// "List Transactions"), authenticated with the secret key as a Bearer token
/// (paystack.com/docs/api/authentication).
public struct PaystackAPI: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let defaultBaseURL = OutgoingURL("https://api.paystack.co")!
    /// List Transactions' `perPage`: the most we take in one page.
    public static let pageSize = 100

    public let baseURL: OutgoingURL
    private let secret: ProviderSecret

    public init(baseURL: OutgoingURL = PaystackAPI.defaultBaseURL, secret: String) {
        self.baseURL = baseURL
        self.secret = ProviderSecret(secret)
    }

    /// Why no request should be sent (no secret), or nil.
    public var configurationProblem: ProviderCallError? { secretProblem(secret, named: "Paystack secret key") }

    private var endpoint: ProviderEndpoint { ProviderEndpoint(base: baseURL) }
    private var authorization: [(String, String)] { [("Authorization", "Bearer \(secret.value)")] }

    /// GET /transaction/verify/:reference, the reference one percent-encoded path segment.
    public func verify(reference: String) -> OutgoingRequest {
        endpoint.request("GET", "/transaction/verify/" + PercentEncoding.pathSegment(reference), headers: authorization)
    }

    /// GET /transaction?status=success&from=…&to=…&page=N&perPage=100. `from` and `to` are
    /// milliseconds since the epoch, sent as ISO 8601 (the docs' "2016-09-24T00:00:05.000Z").
    public func listSuccessful(from: Int64, to: Int64, page: Int) -> OutgoingRequest {
        let query = PercentEncoding.query([("status", "success"), ("from", Self.iso8601(from)), ("to", Self.iso8601(to)),
                                           ("page", String(max(1, page))), ("perPage", String(Self.pageSize))])
        return endpoint.request("GET", "/transaction", query: query, headers: authorization)
    }

    /// Verify Transaction's answer. `status: false` with "Transaction reference not found" or
    /// "Transaction not found" (Paystack's API errors list), whatever the HTTP status, is a
    /// `.notFound` answer; any other 404 ("Route not found": a wrong base URL) says nothing
    /// of the payment and is a bad answer. 400 "Invalid key" (the docs' example) is `unauthorized`.
    public static func parseVerify(reference: String, status: Int, body: [UInt8], headers: HTTPHeaders = HTTPHeaders())
        -> Result<ProviderAnswer, ProviderCallError> {
        Result { () throws(ProviderCallError) -> ProviderAnswer in
            if let error = ProviderCallError.forStatus(status, headers: headers) { throw error }
            if status != 200 {
                let refusal = try refusal(status: status, body: body)
                if saysNotFound(refusal) { return ProviderAnswer(provider: .paystack, reference: reference, verdict: .notFound, message: refusal) }
                throw .badAnswer("Paystack answered \(status): \(refusal)")
            }
            let json = try AnswerReading.object(body)
            if json["status"] == .bool(false), let message = ProviderText.message(json["message"]), saysNotFound(message) {
                return ProviderAnswer(provider: .paystack, reference: reference, verdict: .notFound, message: message)
            }
            guard json["status"] == .bool(true) else { throw .badAnswer("status is not true") }
            guard let data = json["data"], case .object = data else { throw .badAnswer("data is not an object") }
            let answer = try transaction(data)
            try AnswerReading.same(answer.reference, as: reference, "data.reference")
            return answer
        }
    }

    /// List Transactions' answer: each transaction as an answer, and the next page while
    /// `meta.page` < `meta.pageCount`. A transaction whose reference cannot be one of ours
    /// (empty, longer than 256 bytes, a control character) is left out.
    public static func parseList(status: Int, body: [UInt8], headers: HTTPHeaders = HTTPHeaders()) -> Result<ProviderPage, ProviderCallError> {
        Result { () throws(ProviderCallError) -> ProviderPage in
            if let error = ProviderCallError.forStatus(status, headers: headers) { throw error }
            guard status == 200 else { throw .badAnswer("Paystack answered \(status): \(try refusal(status: status, body: body))") }
            let json = try AnswerReading.object(body)
            guard json["status"] == .bool(true) else { throw .badAnswer("status is not true") }
            guard case .array(let items)? = json["data"] else { throw .badAnswer("data is not a list") }
            var answers: [ProviderAnswer] = []
            for item in items {
                guard case .object = item else { throw .badAnswer("a transaction is not an object") }
                guard item["reference"]?.scalarText != nil else { throw .badAnswer("a transaction has no reference") }
                guard ProviderText.kept(item["reference"], limit: ProviderText.referenceLimit) != nil else { continue }
                answers.append(try transaction(item))
            }
            guard let meta = json["meta"], let page = count(meta["page"]), let pageCount = count(meta["pageCount"]) else {
                throw .badAnswer("meta.page and meta.pageCount are required")
            }
            return ProviderPage(answers: answers, next: page < pageCount ? .page(page + 1) : nil)
        }
    }

    /// One transaction object (Verify's `data`, an item of List's `data`). Paystack's
    /// statuses ("Verify Payments", Transaction statuses): success is paid; failed and
    /// reversed (refunded or charged back) are failed; abandoned, ongoing, pending,
    /// processing and queued may still complete, so they are pending, as is a status the
    /// docs do not list.
    static func transaction(_ data: JSONValue) throws(ProviderCallError) -> ProviderAnswer {
        let reference = try AnswerReading.text(data["reference"], "data.reference", limit: ProviderText.referenceLimit)
        let status = try AnswerReading.text(data["status"], "data.status", limit: 64)
        let verdict: ProviderAnswer.Verdict = switch status {
        case "success": .paid
        case "failed", "reversed": .failed
        default: .pending
        }
        // `amount` is in the currency's subunit (kobo, pesewas, cents), as in the webhook.
        let amount = try AnswerReading.amount(data["amount"], "data.amount", PayloadReading.minorUnits)
        let currency = try AnswerReading.currency(data["currency"], "data.currency")
        if verdict == .paid, amount == nil || currency == nil { throw .badAnswer("a successful transaction has no amount or currency") }
        var message = ProviderText.message(data["gateway_response"])
        if verdict == .failed, status == "reversed" {
            // Cut again as a whole: the words added must not take it past the limit.
            message = ProviderText.message("Paystack: the transaction was reversed" + (message.map { " (\($0))" } ?? ""))
        }
        return ProviderAnswer(provider: .paystack, reference: reference, verdict: verdict, amount: amount, currency: currency,
                              providerReference: ProviderText.kept(data["id"], limit: ProviderText.idLimit), message: message,
                              email: ProviderText.kept(data["customer"]?["email"], limit: ProviderText.emailLimit))
    }

    private static func saysNotFound(_ message: String) -> Bool {
        let text = message.lowercased()
        return text.contains("transaction reference not found") || text.contains("transaction not found")
    }

    /// Paystack's error body `{"status": false, "message": …}`, its message bounded.
    private static func refusal(status: Int, body: [UInt8]) throws(ProviderCallError) -> String {
        let message = AnswerReading.objectIfAny(body).flatMap { ProviderText.message($0["message"]) }
        if status == 400, message?.lowercased() == "invalid key" { throw .unauthorized(400) }
        if status == 404, message == nil { throw .badAnswer("404 without Paystack's error body (is the base URL right?)") }
        return message ?? "no message"
    }

    private static func count(_ value: JSONValue?) -> Int? {
        guard let text = value?.scalarText, text.utf8.count <= 9, let n = Int(text), n >= 0 else { return nil }
        return n
    }

    /// Milliseconds as ISO 8601 UTC, within the years 1970 to 9999 (`Timestamp` writes
    /// those; nothing Paystack keeps is outside them).
    static func iso8601(_ milliseconds: Int64) -> String {
        Timestamp.iso8601(milliseconds: min(max(milliseconds, 0), 253_402_300_799_999))
    }

    public var description: String { "PaystackAPI(baseURL: \(baseURL), secret: \(ProviderSecret.redacted))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["baseURL": baseURL, "secret": ProviderSecret.redacted], displayStyle: .struct)
    }
}
