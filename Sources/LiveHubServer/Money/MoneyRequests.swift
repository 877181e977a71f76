import Hub
import JSON
import Money
import Phones
import Records
import SMTP

/// `POST /api/wallet/transactions`, checked on the connection's loop.
extension LedgerEntry {
    static func parse(_ body: JSONValue) throws(APIError) -> LedgerEntry {
        let fields = try BodyFields(body, errorCode: "invalid_transaction")
        let userId = try fields.required("user_id", max: 128)
        guard let amount = try fields.money("amount") else { throw fields.invalid("amount is required") }
        guard amount.minorUnits > 0 else { throw fields.invalid("amount must be positive: the type gives the direction") }
        let typeText = try fields.required("type", max: 32)
        guard let kind = LedgerTransaction.Kind(rawValue: typeText) else {
            throw fields.invalid("type must be one of credit, sms_purchase, debit, refund")
        }
        var entry = LedgerEntry(userId: userId, amount: amount, kind: kind,
                                description: try fields.text("description", max: 1024) ?? "",
                                service: try fields.text("service", max: 128),
                                reference: try fields.required("reference", max: 256),
                                paymentReference: try fields.text("payment_reference", max: 256))
        // The user's address for notification emails, given with the write (kept as theirs).
        if let email = try fields.text("email", max: 254) {
            guard EmailAddress(email) != nil else { throw fields.invalid("email is not an address (name@domain, ASCII, no spaces)") }
            entry.email = email
        }
        return entry
    }
}

/// `GET /api/wallet/transactions` filters and paging, read from the query string.
extension TransactionFilter {
    static func parse(_ query: [String: String]) throws(APIError) -> TransactionFilter {
        var result = TransactionFilter()
        result.userId = query["user_id"].flatMap { $0.isEmpty ? nil : $0 }
        if let type = query["type"], !type.isEmpty {
            guard let kind = LedgerTransaction.Kind(rawValue: type) else { throw QueryParameters.invalid("type must be one of credit, sms_purchase, debit, refund") }
            result.kind = kind
        }
        result.start = try QueryParameters.time(query, "start_date")
        result.end = try QueryParameters.time(query, "end_date")
        result.skip = try QueryParameters.integer(query, "skip", in: 0...Int(Int32.max)) ?? 0
        result.limit = try QueryParameters.integer(query, "limit", in: 1...500) ?? 50
        return result
    }
}

/// `POST /api/payments/events`.
extension RecordPaymentEvent {
    /// `currency`: the shop's, for an amount that names none.
    static func parse(_ body: JSONValue, currency shopCurrency: String, phones: PhoneNormalizer) throws(APIError) -> RecordPaymentEvent {
        let fields = try BodyFields(body, errorCode: "invalid_payment_event")
        let stageText = try fields.required("stage", max: 32)
        guard let stage = Payment.Stage(rawValue: stageText) else {
            throw fields.invalid("stage must be one of initialized, completed, webhook_received, credited, failed")
        }
        var currency: Currency?
        if let code = try fields.text("currency", max: 16) {
            guard let known = Currency(code: code) else { throw fields.invalid("currency must be an ISO 4217 code such as USD, NGN or KES") }
            currency = known
        }
        var amount: Money?
        if let text = try fields.amount("amount") {
            let code = currency ?? Currency(code: shopCurrency)!
            guard let parsed = code.minorUnits(text) else {
                throw fields.invalid("amount must have at most \(code.exponent) decimal places in \(code.code)")
            }
            guard parsed.minorUnits >= 0 else { throw fields.invalid("amount must not be negative") }
            amount = parsed
            currency = code
        }
        var event = PaymentEvent(
            reference: try fields.required("reference", max: 256), provider: try fields.required("provider", max: 64),
            stage: stage, amount: amount, currency: currency?.code,
            userId: try fields.text("user_id", max: 128), email: try fields.text("email", max: 320),
            phone: try fields.phone("phone", phones), plan: try fields.text("plan", max: 128),
            errorMessage: try fields.text("error_message", max: 2048), receivedAt: 0)
        // The provider's own id when the shop has it (NOWPayments' payment_id: reconciliation
        // asks NOWPayments by it).
        event.providerReference = try fields.text("provider_reference", max: 128)
        return RecordPaymentEvent(event)
    }
}

/// `POST /api/activity`.
extension RecordActivity {
    static func parse(_ body: JSONValue) throws(APIError) -> RecordActivity {
        let fields = try BodyFields(body, errorCode: "invalid_activity")
        let event = ActivityEvent(id: 0, userId: try fields.text("user_id", max: 128), email: try fields.text("email", max: 320),
                                  action: try fields.required("action", max: 128), status: try fields.required("status", max: 64),
                                  details: try fields.json("details", max: 8 * 1024), errorMessage: try fields.text("error_message", max: 2048),
                                  createdAt: 0)
        guard event.userId != nil || event.email != nil else { throw fields.invalid("user_id or email is required") }
        return RecordActivity(event)
    }
}

/// `GET /api/payments` lookups, read from the query string.
extension PaymentFilter {
    static func parse(_ query: [String: String], phones: PhoneNormalizer) throws(APIError) -> PaymentFilter {
        var result = PaymentFilter()
        result.email = query["email"].flatMap { $0.isEmpty ? nil : $0 }
        if let phone = query["phone"], !phone.isEmpty {
            // Refused, not ignored: a filter dropped silently would list everybody's payments.
            guard phone.utf8.count <= 64 else { throw QueryParameters.invalid("phone is longer than 64 bytes") }
            result.phone = phones.e164(phone) ?? phone
        }
        result.userId = query["user_id"].flatMap { $0.isEmpty ? nil : $0 }
        result.provider = query["provider"].flatMap { $0.isEmpty ? nil : $0 }
        result.reference = query["reference"].flatMap { $0.isEmpty ? nil : $0 }
        if let status = query["status"], !status.isEmpty {
            guard let word = PaymentFilter.Status(rawValue: status) else {
                throw QueryParameters.invalid("status must be one of \(PaymentFilter.Status.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            result.status = word
        }
        return result
    }
}

/// Query-string values shared by the read APIs.
enum QueryParameters {
    static func invalid(_ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_query", message: message)
    }

    static func integer(_ query: [String: String], _ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let text = query[name], !text.isEmpty else { return nil }
        guard let n = Int(text), range.contains(n) else { throw invalid("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)") }
        return n
    }

    static func time(_ query: [String: String], _ name: String) throws(APIError) -> Int64? {
        guard let text = query[name], !text.isEmpty else { return nil }
        guard let ms = Timestamp.parse(text) else { throw invalid("\(name) must be an ISO 8601 time or milliseconds since 1970") }
        return ms
    }

    /// A window such as `24h`, `30m`, `7d`, in milliseconds.
    static func window(_ query: [String: String], _ name: String, default fallback: Int64) throws(APIError) -> Int64 {
        guard let text = query[name], !text.isEmpty else { return fallback }
        // The command line's durations, in milliseconds, up to ten years.
        guard let window = ConfigValue.duration(text), window >= .milliseconds(1), window <= .seconds(3650 * 86_400) else {
            throw invalid("\(name) must be like 30m, 24h or 7d")
        }
        return window.milliseconds
    }
}
