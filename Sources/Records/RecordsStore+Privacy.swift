import Hub

/// `POST /api/privacy/erase`, as the records database carries it out.
public struct ErasureRequest: Sendable {
    public var key: PersonKey
    /// What presence found of the same person (their sessions' other contact fields).
    public var presence: PresenceErasure
    /// What replaces the person's contact fields where rows are kept (ledger, payments,
    /// alerts): the server's keyed hash of the key, the same for the same person.
    public var pseudonym: String
    /// The key as the erasure record keeps it: hashed, never in clear.
    public var keyHash: String
    public var by: String

    public init(key: PersonKey, presence: PresenceErasure, pseudonym: String, keyHash: String, by: String) {
        self.key = key
        self.presence = presence
        self.pseudonym = pseudonym
        self.keyHash = keyHash
        self.by = by
    }
}

/// What an erasure did to the records database's rows.
public struct RecordsErasure: Sendable, Equatable {
    public var paymentErrors = 0
    public var activity = 0
    public var webhookDeliveries = 0
    public var payments = 0
    public var transactions = 0
    public var alerts = 0

    public init() {}
}

/// `a IN ($1, $2) OR b IN ($3)`: a row that has any of the values, the `$n` numbered in
/// the order they appear (as SQLite binds them); with no values, no row.
private struct AnyOf {
    private var parts: [String] = []
    private(set) var values: [SQLValue] = []

    mutating func column(_ column: String, in set: some Collection<String>) {
        guard !set.isEmpty else { return }
        let numbers = set.sorted().map { value -> String in
            values.append(.text(value))
            return "$\(values.count)"
        }
        parts.append("\(column) IN (\(numbers.joined(separator: ", ")))")
    }

    var sql: String { parts.isEmpty ? "1 = 0" : parts.joined(separator: " OR ") }
}

extension RecordsStore {
    /// Deletes the person's payment errors and activity, empties the payloads and headers of
    /// the webhook deliveries of their payments, and puts the pseudonym in place of their
    /// contact fields in payments, payment events, the ledger, wallets and alerts (kept
    /// for accounting). The person is the key, widened once by what their sessions,
    /// payments and activity name. Part of the caller's transaction.
    public func erase(_ request: ErasureRequest, at now: Int64) throws(Failure) -> RecordsErasure {
        var emails = request.presence.emails, phones = request.presence.phones, users = request.presence.userIds
        var sessions = request.presence.sessionIds
        switch request.key {
        case .email(let email): emails.insert(email.lowercased())
        case .phone(let phone): phones.insert(phone)
        case .userId(let id): users.insert(id)
        case .sessionId(let id): sessions.insert(id)
        }
        let email = db.dialect == .sqlite ? "email COLLATE NOCASE" : "lower(email)"  // `emails` are lowercase
        // The same person under their other keys, as their payments and activity name them.
        var references: [String] = []
        var ofPayments = AnyOf()
        ofPayments.column(email, in: emails)
        ofPayments.column("phone_digits", in: phones.map(PhoneNumber.digits).filter { !$0.isEmpty })
        ofPayments.column("user_id", in: users)
        for row in try db.query("SELECT reference, user_id, email, phone FROM payments WHERE \(ofPayments.sql)", ofPayments.values) {
            if let reference = row[0].text { references.append(reference) }
            if let id = row[1].text, !id.hasPrefix("erased-") { users.insert(id) }
            if let email = row[2].text { emails.insert(email.lowercased()) }
            if let phone = row[3].text { phones.insert(phone) }
        }
        func ofActivity() -> AnyOf {
            var condition = AnyOf()
            condition.column(email, in: emails)
            condition.column("user_id", in: users)
            return condition
        }
        let named = ofActivity()
        for row in try db.query("SELECT user_id FROM activity WHERE \(named.sql)", named.values) {
            if let id = row[0].text { users.insert(id) }
        }

        var erased = RecordsErasure()
        // Payment errors: theirs by contact (the phone as it was written), or recorded in one of their sessions.
        var ofErrors = AnyOf()
        ofErrors.column(email, in: emails)
        ofErrors.column("phone", in: phones)
        ofErrors.column("session_id", in: sessions)
        try db.query("DELETE FROM payment_errors WHERE \(ofErrors.sql)", ofErrors.values)
        erased.paymentErrors = db.changes
        // Activity: theirs by user id or email (with the user ids the activity itself named).
        let theirs = ofActivity()
        try db.query("DELETE FROM activity WHERE \(theirs.sql)", theirs.values)
        erased.activity = db.changes
        let u = users.sorted()
        let pseudonym = Value.text(request.pseudonym)
        // Payments and their events stay, under the pseudonym; their deliveries keep the row
        // (provider, time, status) without the payload and headers that named the person.
        for reference in references {
            try db.query("UPDATE webhook_deliveries SET payload = '{\"erased\":true}', headers = '', payload_truncated = 1 WHERE reference = $1",
                         [.text(reference)])
            erased.webhookDeliveries += db.changes
            try db.query("""
                UPDATE payments SET email = CASE WHEN email IS NULL THEN NULL ELSE $1 END, phone = NULL, phone_digits = NULL,
                    user_id = CASE WHEN user_id IS NULL THEN NULL ELSE $1 END WHERE reference = $2
                """, [pseudonym, .text(reference)])
            erased.payments += db.changes
            try db.query("""
                UPDATE payment_events SET email = CASE WHEN email IS NULL THEN NULL ELSE $1 END, phone = NULL,
                    user_id = CASE WHEN user_id IS NULL THEN NULL ELSE $1 END WHERE reference = $2
                """, [pseudonym, .text(reference)])
        }
        // The ledger stays whole: each of their user ids becomes a pseudonym of its own, so
        // every (user, seq) stays unique and every balance still sums.
        var suffix = 1
        func unusedAlias() throws(Failure) -> Value {
            // The same key gives the same pseudonym: a person erased again (who came back
            // under a new user id) gets the next free one, never one that holds a ledger.
            while true {
                let alias = suffix == 1 ? request.pseudonym : "\(request.pseudonym)-\(suffix)"
                suffix += 1
                let used = try db.query("SELECT 1 FROM wallets WHERE user_id = $1 UNION ALL SELECT 1 FROM transactions WHERE user_id = $1 LIMIT 1",
                                        [.text(alias)])
                if used.isEmpty { return .text(alias) }
            }
        }
        for user in u {
            let alias = try unusedAlias()
            // Numbered in the order they appear: SQLite binds `$n` that way (see SQLConnection).
            try db.query("UPDATE transactions SET user_id = $1 WHERE user_id = $2", [alias, .text(user)])
            erased.transactions += db.changes
            try db.query("UPDATE wallets SET user_id = $1 WHERE user_id = $2", [alias, .text(user)])
            try db.query("UPDATE alerts SET user_id = $1 WHERE user_id = $2", [alias, .text(user)])
            erased.alerts += db.changes
        }
        // Alert texts name people: each of their contact values in a title or message is
        // replaced (emails whatever their case).
        let contains = db.dialect == .sqlite ? "instr" : "strpos"
        for value in Set((Array(emails) + Array(phones) + u).filter { $0.utf8.count >= 3 }.map { $0.lowercased() }) {
            for row in try db.query("SELECT id, title, message FROM alerts WHERE \(contains)(lower(message), $1) > 0 OR \(contains)(lower(title), $1) > 0",
                                    [.text(value)]) {
                guard let id = row[0].integer, let title = row[1].text, let message = row[2].text else { continue }
                try db.query("UPDATE alerts SET title = $1, message = $2 WHERE id = $3",
                             [.text(Self.replacing(value, in: title, with: request.pseudonym)),
                              .text(Self.replacing(value, in: message, with: request.pseudonym)), .integer(id)])
                erased.alerts += db.changes
            }
        }
        try db.query("INSERT INTO erasures (at, by, key_kind, key_hash, pseudonym) VALUES ($1, $2, $3, $4, $5)",
                     [Self.time(now), .text(request.by), .text(request.key.kind), .text(request.keyHash), pseudonym])
        return erased
    }

    /// `text` with every occurrence of `needle` (lowercase) replaced, ASCII letters compared
    /// without case.
    static func replacing(_ needle: String, in text: String, with replacement: String) -> String {
        let hay = Array(text.utf8), pin = Array(needle.utf8)
        func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }
        var out: [UInt8] = []
        var i = 0
        while i < hay.count {
            if i + pin.count <= hay.count, (0..<pin.count).allSatisfy({ lower(hay[i + $0]) == pin[$0] }) {
                out += replacement.utf8
                i += pin.count
            } else {
                out.append(hay[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// After an erasure's COMMIT: SQLite's write-ahead log still holds the pages as they
    /// were; a checkpoint writes them back (freed space zeroed by `secure_delete`) and
    /// empties it, so no copy of the erased rows stays in the data dir.
    /// The erasures recorded since `since`, as key kind → key hashes (the keys themselves
    /// are never stored): a node that was away when they were announced applies them to
    /// its snapshot.
    public func erasedKeyHashes(since: Int64) throws(Failure) -> [String: Set<String>] {
        var hashes: [String: Set<String>] = [:]
        for row in try db.query("SELECT key_kind, key_hash FROM erasures WHERE at >= $1", [Self.time(since)]) {
            if let kind = row[0].text, let hash = row[1].text { hashes[kind, default: []].insert(hash) }
        }
        return hashes
    }

    public func scrubAfterErasure() {
        guard db.dialect == .sqlite else { return }
        try? db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }
}
