import Hub

/// Questions to the providers' APIs and their answers (`ProviderCheck`), and when each
/// payment in doubt is asked next.
extension RecordsStore {
    /// The payments due to be asked about (`next_check_at` passed), oldest due first, with
    /// how many times each was asked and when it came into doubt.
    public func paymentsToCheck(now: Int64, providers: [String], limit: Int) throws(Failure) -> [(payment: Payment, checks: Int)] {
        guard !providers.isEmpty else { return [] }
        var values: [Value] = [Self.time(now)]
        let list = providers.map { provider -> String in
            values.append(.text(provider))
            return "$\(values.count)"
        }.joined(separator: ", ")
        values.append(.integer(Int64(limit)))
        let rows = try db.query("""
            SELECT reference, checks FROM payments WHERE next_check_at <= $1 AND provider IN (\(list))
                ORDER BY next_check_at LIMIT $\(values.count)
            """, values)
        var due: [(payment: Payment, checks: Int)] = []
        for row in rows {
            guard let reference = row[0].text, let payment = try payment(reference) else { continue }
            due.append((payment, Int(row[1].integer ?? 0)))
        }
        return due
    }

    /// The payment is asked next at `at` (nil: no more), its questions counted.
    public func scheduleCheck(_ reference: String, checks: Int, at: Int64?) throws(Failure) {
        try db.query("UPDATE payments SET checks = $1, next_check_at = $2 WHERE reference = $3",
                     [.integer(Int64(checks)), Self.time(at), .text(reference)])
    }

    static let insertProviderCheck = """
        INSERT INTO provider_checks (id, reference, provider, asked_at, asker, outcome, detail, amount_minor, currency,
            provider_reference, partial, moved) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
        """

    public func insert(_ check: ProviderCheck) throws(Failure) {
        try db.query(Self.insertProviderCheck, [.integer(check.id), .text(check.reference), .text(check.provider), Self.time(check.askedAt),
                                                .text(check.asker.rawValue), .text(check.outcome.rawValue), Value(check.detail),
                                                Value(check.amount?.minorUnits), Value(check.currency), Value(check.providerReference),
                                                .integer(check.partial ? 1 : 0), Value(check.moved)])
    }

    /// The questions asked about these payments, newest first.
    public func providerChecks(references: Set<String>, limit: Int) throws(Failure) -> [ProviderCheck] {
        var condition = AnyOf()
        condition.column("reference", in: references)
        guard !condition.values.isEmpty else { return [] }
        return try db.query("""
            SELECT id, reference, provider, asked_at, asker, outcome, detail, amount_minor, currency, provider_reference, partial, moved
                FROM provider_checks WHERE \(condition.sql) ORDER BY id DESC LIMIT $\(condition.values.count + 1)
            """, condition.values + [.integer(Int64(limit))]).compactMap { row in
            guard let id = row[0].integer, let reference = row[1].text, let provider = row[2].text,
                  let asked = row[3].text.flatMap(Timestamp.parse), let asker = row[4].text.flatMap(ProviderCheck.Asker.init(rawValue:)),
                  let outcome = row[5].text.flatMap(ProviderCheck.Outcome.init(rawValue:)) else { return nil }
            var check = ProviderCheck(reference: reference, provider: provider, askedAt: asked, asker: asker, outcome: outcome,
                                      detail: row[6].text, amount: row[7].integer.map(Money.init(minorUnits:)), currency: row[8].text,
                                      providerReference: row[9].text)
            check.id = id
            check.partial = (row[10].integer ?? 0) != 0
            check.moved = row[11].text
            return check
        }
    }
}

extension RecordsSchema {
    /// Migration 13: reconciliation with the providers. Each payment counts the questions
    /// asked about it and when it is asked next (`next_check_at`, NULL once settled or
    /// asked enough: the due ones are found by one index); the questions and answers are
    /// kept (`provider_checks`); a stage report says who made it (`source`). Payments in
    /// doubt when this runs are asked at the first pass.
    static func providerChecks(_ dialect: SQLDialect) -> String {
        let integer = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return """
            ALTER TABLE payments ADD COLUMN checks \(integer) NOT NULL DEFAULT 0;
            ALTER TABLE payments ADD COLUMN next_check_at TEXT;
            UPDATE payments SET next_check_at = created_at
                WHERE state IN ('initialized', 'completed') OR gap = 1 OR unmatched = 1 OR mismatch = 1;
            CREATE INDEX payments_by_next_check ON payments (next_check_at);
            ALTER TABLE payment_events ADD COLUMN source TEXT;
            CREATE TABLE provider_checks (
                id \(integer) PRIMARY KEY, reference TEXT NOT NULL, provider TEXT NOT NULL, asked_at TEXT NOT NULL,
                asker TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT, amount_minor \(integer), currency TEXT,
                provider_reference TEXT, partial \(integer) NOT NULL DEFAULT 0, moved TEXT);
            CREATE INDEX provider_checks_by_reference ON provider_checks (reference, id);
            \(sequences(for: [.providerCheck], dialect))
            """
    }
}
