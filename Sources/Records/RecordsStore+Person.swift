import Hub

/// The keys one person's rows are selected by, as the statements compare them.
public struct PersonMatch: Sendable, Equatable {
    /// `EmailKey`s.
    public var emailKeys: Set<String> = []
    /// `PhoneNumber.digits`, none empty.
    public var phoneDigits: Set<String> = []
    public var userIds: Set<String> = []
    /// Our payment references.
    public var references: Set<String> = []

    public init() {}
}

/// Who a payment or an activity event says made it (a link the shop made).
public struct PersonLink: Sendable, Equatable {
    public var userId: String?
    public var email: String?
    public var phone: String?

    public init(userId: String?, email: String?, phone: String?) {
        self.userId = userId
        self.email = email
        self.phone = phone
    }
}

/// One person's rows, by the keys that name them (support's timeline): each statement reads
/// by an index, newest first, at most `limit` rows.
extension RecordsStore {
    /// What the payments and activity that name any of the keys say of who made them: at
    /// most `limit` distinct links from each table.
    public func links(of match: PersonMatch, limit: Int) throws(Failure) -> [PersonLink] {
        var links: [PersonLink] = []
        let ofPayments = Self.payments(of: match)
        for row in try db.query("SELECT DISTINCT user_id, email, phone FROM payments WHERE \(ofPayments.sql) LIMIT $\(ofPayments.values.count + 1)",
                                ofPayments.values + [.integer(Int64(limit))]) {
            links.append(PersonLink(userId: row[0].text, email: row[1].text, phone: row[2].text))
        }
        var ofActivity = AnyOf()
        ofActivity.column("email_key", in: match.emailKeys)
        ofActivity.column("user_id", in: match.userIds)
        for row in try db.query("SELECT DISTINCT user_id, email FROM activity WHERE \(ofActivity.sql) LIMIT $\(ofActivity.values.count + 1)",
                                ofActivity.values + [.integer(Int64(limit))]) {
            links.append(PersonLink(userId: row[0].text, email: row[1].text, phone: nil))
        }
        return links
    }

    private static func payments(of match: PersonMatch) -> AnyOf {
        var condition = AnyOf()
        condition.column("email_key", in: match.emailKeys)
        condition.column("phone_digits", in: match.phoneDigits)
        condition.column("user_id", in: match.userIds)
        condition.column("reference", in: match.references)
        return condition
    }

    /// The person's payments with their trails, newest first (in the order first seen).
    public func payments(of match: PersonMatch, limit: Int) throws(Failure) -> [Payment] {
        let condition = Self.payments(of: match)
        return try payments("SELECT \(Self.paymentColumns) FROM payments WHERE \(condition.sql) ORDER BY seq DESC LIMIT $\(condition.values.count + 1)",
                            condition.values + [.integer(Int64(limit))])
    }

    /// The stage reports of these payments, newest first.
    public func paymentEvents(references: Set<String>, limit: Int) throws(Failure) -> [PaymentEvent] {
        var condition = AnyOf()
        condition.column("reference", in: references)
        return try db.query("""
            SELECT reference, provider, stage, amount_minor, currency, user_id, email, phone, plan, error_message, received_at, source
                FROM payment_events WHERE \(condition.sql) ORDER BY lsn DESC LIMIT $\(condition.values.count + 1)
            """, condition.values + [.integer(Int64(limit))]).compactMap { row in
            guard let reference = row[0].text, let provider = row[1].text, let stage = row[2].text.flatMap(Payment.Stage.init(rawValue:)),
                  let received = row[10].text.flatMap(Timestamp.parse) else { return nil }
            var event = PaymentEvent(reference: reference, provider: provider, stage: stage, amount: row[3].integer.map(Money.init(minorUnits:)),
                                     currency: row[4].text, userId: row[5].text, email: row[6].text, phone: row[7].text, plan: row[8].text,
                                     errorMessage: row[9].text, receivedAt: received)
            event.source = row[11].text.flatMap(PaymentEvent.Source.init(rawValue:))
            return event
        }
    }

    /// The provider deliveries naming these references, newest first, without their payloads
    /// and headers (`webhookLog` has them).
    public func webhookDeliveries(references: Set<String>, limit: Int) throws(Failure) -> [WebhookLogEntry] {
        var condition = AnyOf()
        condition.column("reference", in: references)
        return try db.query("""
            SELECT id, provider, received_at, signature_valid, processing_status, error_message, reference, delivery_key, payload_truncated
                FROM webhook_deliveries WHERE \(condition.sql) ORDER BY id DESC LIMIT $\(condition.values.count + 1)
            """, condition.values + [.integer(Int64(limit))]).compactMap { row in
            guard let id = row[0].integer, let provider = row[1].text, let received = row[2].text.flatMap(Timestamp.parse),
                  let status = row[4].text.flatMap(WebhookLogEntry.Status.init(rawValue:)) else { return nil }
            var entry = WebhookLogEntry(id: id, provider: provider, receivedAt: received, signatureValid: row[3].integer == 1, status: status,
                                        errorMessage: row[5].text, reference: row[6].text, payload: "", headers: [], deliveryKey: row[7].text)
            entry.payloadTruncated = row[8].integer == 1
            return entry
        }
    }

    /// The alerts naming any of these users or payment references, newest first, each with
    /// its delivery.
    public func alerts(users: Set<String>, references: Set<String>, limit: Int) throws(Failure) -> [AlertRow] {
        var condition = AnyOf()
        condition.column("user_id", in: users)
        condition.column("reference", in: references)
        return try db.query("""
            SELECT id, kind, title, message, user_id, reference, created_at, delivery_status, delivery_attempts, delivery_error
                FROM alerts WHERE \(condition.sql) ORDER BY id DESC LIMIT $\(condition.values.count + 1)
            """, condition.values + [.integer(Int64(limit))]).compactMap(Self.alertRow)
    }

    /// One user's newest activity (by user id), or one email's (by its `EmailKey`), newest
    /// first.
    public func newestActivity(userId: String, limit: Int) throws(Failure) -> [ActivityEvent] {
        try db.query("SELECT \(Self.activityColumns) FROM activity WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
                     [.text(userId), .integer(Int64(limit))]).compactMap(Self.activity)
    }

    public func newestActivity(emailKey: String, limit: Int) throws(Failure) -> [ActivityEvent] {
        try db.query("SELECT \(Self.activityColumns) FROM activity WHERE email_key = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
                     [.text(emailKey), .integer(Int64(limit))]).compactMap(Self.activity)
    }

    /// These users' balances, for those the ledger has seen.
    public func balances(of users: Set<String>) throws(Failure) -> [String: Money] {
        var condition = AnyOf()
        condition.column("user_id", in: users)
        var found: [String: Money] = [:]
        for row in try db.query("SELECT user_id, balance_minor FROM wallets WHERE \(condition.sql)", condition.values) {
            if let user = row[0].text, let minor = row[1].integer { found[user] = Money(minorUnits: minor) }
        }
        return found
    }
}
