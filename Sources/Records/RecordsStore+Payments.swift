import Hub

/// Payments as rows: written as the payment is now, read back with their resolution
/// trails, found by the one status vocabulary (`PaymentFilter.Status`).
extension RecordsStore {
    static let upsertPayment = """
        INSERT INTO payments (reference, provider, status, amount_minor, currency, user_id, email, phone, phone_digits, plan,
            error_message, gap, unmatched, confirmed_at, gap_since, created_at, updated_at, initialized_at, completed_at,
            webhook_received_at, credited_at, failed_at, unmatched_since, awaiting_credit, seq, email_key,
            provider_amount_minor, provider_currency, provider_reference, mismatch_since, mismatch, partial, state, became_gap_at)
            VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,
                $27,$28,$29,$30,$31,$32,$33,$34)
        ON CONFLICT (reference) DO UPDATE SET provider = excluded.provider, status = excluded.status,
            amount_minor = excluded.amount_minor, currency = excluded.currency, user_id = excluded.user_id,
            email = excluded.email, email_key = excluded.email_key, phone = excluded.phone, phone_digits = excluded.phone_digits, plan = excluded.plan,
            error_message = excluded.error_message, gap = excluded.gap, unmatched = excluded.unmatched,
            confirmed_at = excluded.confirmed_at, gap_since = excluded.gap_since, updated_at = excluded.updated_at,
            initialized_at = excluded.initialized_at, completed_at = excluded.completed_at,
            webhook_received_at = excluded.webhook_received_at, credited_at = excluded.credited_at,
            failed_at = excluded.failed_at, unmatched_since = excluded.unmatched_since,
            awaiting_credit = excluded.awaiting_credit, seq = COALESCE(payments.seq, excluded.seq),
            provider_amount_minor = excluded.provider_amount_minor, provider_currency = excluded.provider_currency,
            provider_reference = excluded.provider_reference, mismatch_since = excluded.mismatch_since,
            mismatch = excluded.mismatch, partial = excluded.partial, state = excluded.state, became_gap_at = excluded.became_gap_at,
            next_check_at = CASE WHEN excluded.state IN ('credited', 'failed', 'resolved') OR excluded.confirmed_at IS NOT NULL THEN NULL
                ELSE payments.next_check_at END
        """
    static let insertPaymentEvent = """
        INSERT INTO payment_events (lsn, reference, provider, stage, amount_minor, currency, user_id, email, phone,
            plan, error_message, received_at, email_key, source) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) ON CONFLICT DO NOTHING
        """

    /// A payment's row as the payment is now (`seq`: its place in the order first seen,
    /// kept from the first write).
    public func save(_ p: Payment, seq: Int64? = nil) throws(Failure) {
        try db.query(Self.upsertPayment, [.text(p.reference), .text(p.provider), .text(p.status.rawValue), Value(p.amount?.minorUnits),
                                          Value(p.currency), Value(p.userId), Value(p.email), Value(p.phone),
                                          Value(p.phone.map(PhoneNumber.digits)), Value(p.plan), Value(p.errorMessage),
                                          .integer(p.isGap ? 1 : 0), .integer(p.isUnmatched ? 1 : 0), Self.time(p.confirmedAt),
                                          Self.time(p.gapSince), Self.time(p.createdAt), Self.time(p.updatedAt),
                                          Self.time(p.stageTimes[.initialized]), Self.time(p.stageTimes[.completed]),
                                          Self.time(p.stageTimes[.webhookReceived]), Self.time(p.stageTimes[.credited]),
                                          Self.time(p.stageTimes[.failed]), Self.time(p.unmatchedSince),
                                          .integer(p.awaitsCredit ? 1 : 0), Value(seq ?? nextPaymentSeqForMigration()),
                                          Value(p.email.map(EmailKey.of)), Value(p.providerAmount?.minorUnits), Value(p.providerCurrency),
                                          Value(p.providerReference), Self.time(p.mismatchSince), .integer(p.isMismatched ? 1 : 0),
                                          .integer(p.partial ? 1 : 0), .text(p.state.rawValue), Self.time(p.becameGapAt)])
    }

    private func nextPaymentSeqForMigration() -> Int64 {
        migrationPaymentSeq += 1
        return migrationPaymentSeq
    }

    public func insert(_ e: PaymentEvent, lsn: Int64) throws(Failure) {
        try db.query(Self.insertPaymentEvent, [.integer(lsn), .text(e.reference), .text(e.provider), .text(e.stage.rawValue),
                                               Value(e.amount?.minorUnits), Value(e.currency), Value(e.userId), Value(e.email),
                                               Value(e.phone), Value(e.plan), Value(e.errorMessage), Self.time(e.receivedAt),
                                               Value(e.email.map(EmailKey.of)), Value(e.source?.rawValue)])
    }

    static let paymentColumns = """
        reference, provider, status, amount_minor, currency, user_id, email, phone, plan, error_message, confirmed_at,
        gap_since, created_at, updated_at, initialized_at, completed_at, webhook_received_at, credited_at, failed_at,
        unmatched_since, provider_amount_minor, provider_currency, provider_reference, mismatch_since, partial, became_gap_at
        """

    private static func payment(_ row: [Value]) -> Payment? {
        guard row.count >= 26, let reference = row[0].text, let provider = row[1].text,
              let status = row[2].text.flatMap(Payment.Stage.init(rawValue:)),
              let created = row[12].text.flatMap(Timestamp.parse), let updated = row[13].text.flatMap(Timestamp.parse)
        else { return nil }
        func time(_ i: Int) -> Int64? { row[i].text.flatMap(Timestamp.parse) }
        var p = Payment(reference: reference, provider: provider, status: status, createdAt: created, updatedAt: updated)
        p.amount = row[3].integer.map(Money.init(minorUnits:))
        p.currency = row[4].text
        p.userId = row[5].text
        p.email = row[6].text
        p.phone = row[7].text
        p.plan = row[8].text
        p.errorMessage = row[9].text
        p.confirmedAt = time(10)
        p.gapSince = time(11)
        for (i, stage) in [(14, Payment.Stage.initialized), (15, .completed), (16, .webhookReceived), (17, .credited), (18, .failed)] {
            if let at = time(i) { p.stageTimes[stage] = at }
        }
        p.unmatchedSince = time(19)
        p.providerAmount = row[20].integer.map(Money.init(minorUnits:))
        p.providerCurrency = row[21].text
        p.providerReference = row[22].text
        p.mismatchSince = time(23)
        p.partial = (row[24].integer ?? 0) != 0
        p.becameGapAt = time(25)
        return p
    }

    /// Payments with their resolution trails, in the order the statement gives.
    func payments(_ sql: String, _ values: [Value]) throws(Failure) -> [Payment] {
        var list = try db.query(sql, values).compactMap(Self.payment)
        for i in list.indices {
            list[i].resolutions = try db.query("SELECT at, by, note, kind FROM resolutions WHERE reference = $1 ORDER BY lsn", [.text(list[i].reference)])
                .compactMap { row in
                    row[0].text.flatMap(Timestamp.parse).map {
                        Payment.Resolution(at: $0, by: row[1].text ?? "unknown", note: row[2].text,
                                           kind: row[3].text.flatMap(Payment.Resolution.Kind.init(rawValue:)) ?? .resolved)
                    }
                }
        }
        return list
    }

    public func payment(_ reference: String) throws(Failure) -> Payment? {
        try payments("SELECT \(Self.paymentColumns) FROM payments WHERE reference = $1", [.text(reference)]).first
    }

    /// Newest first: by email (any case), phone (digits), user, status word, provider, or
    /// reference (ours or the provider's own id); at most `limit`.
    public func payments(_ filter: PaymentFilter, limit: Int) throws(Failure) -> [Payment] {
        var conditions: [String] = []
        var values: [Value] = []
        func add(_ value: Value, _ condition: (String) -> String) {
            values.append(value)
            conditions.append(condition("$\(values.count)"))
        }
        if let email = filter.email { add(.text(EmailKey.of(email))) { "email_key = \($0)" } }
        if let phone = filter.phone { add(.text(PhoneNumber.digits(phone))) { "phone_digits = \($0)" } }
        if let user = filter.userId { add(.text(user)) { "user_id = \($0)" } }
        if let status = filter.status { conditions.append(status.condition) }
        if let provider = filter.provider { add(.text(provider)) { "provider = \($0)" } }
        if let reference = filter.reference { add(.text(reference)) { "(reference = \($0) OR provider_reference = \($0))" } }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        values.append(.integer(Int64(limit)))
        return try payments("SELECT \(Self.paymentColumns) FROM payments\(whereClause) ORDER BY seq DESC LIMIT $\(values.count)", values)
    }

    /// Gaps, unmatched and mismatched payments, in the order first seen.
    public func openProblems() throws(Failure) -> [Payment] {
        try payments("SELECT \(Self.paymentColumns) FROM payments WHERE gap = 1 OR unmatched = 1 OR mismatch = 1 ORDER BY seq", [])
    }

    /// Confirmed payments awaiting a credit since before `cutoff` that are not gaps yet.
    public func paymentsBecomingGaps(confirmedBefore cutoff: Int64) throws(Failure) -> [Payment] {
        try payments("SELECT \(Self.paymentColumns) FROM payments WHERE awaiting_credit = 1 AND gap_since IS NULL AND confirmed_at <= $1 ORDER BY reference LIMIT 1000",
                     [Self.time(cutoff)])
    }
}

/// `GET /api/payments` lookups.
public struct PaymentFilter: Sendable, Equatable {
    public var email: String?
    public var phone: String?
    public var userId: String?
    public var status: Status?
    public var provider: String?
    public var reference: String?

    public init() {}

    /// The words `status=` takes: every word the stats answer counts by, meaning the same
    /// payments (`pending` is `initialized`; `completed` is confirmed by the provider and
    /// not yet credited, `webhook_received` included), and the open problems.
    public enum Status: String, Sendable, CaseIterable {
        case pending, initialized, completed
        case webhookReceived = "webhook_received"
        case credited, failed, resolved
        case gap, unmatched
        case amountMismatch = "amount_mismatch"

        var condition: String {
            switch self {
            case .pending, .initialized: return "state = 'initialized'"
            case .completed: return "state IN ('completed', 'webhook_received')"
            case .webhookReceived, .credited, .failed, .resolved: return "state = '\(rawValue)'"
            case .gap: return "gap = 1"
            case .unmatched: return "unmatched = 1"
            case .amountMismatch: return "mismatch = 1"
            }
        }
    }
}
