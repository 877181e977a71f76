import Hub

/// `POST /api/privacy/erase`, as the records database carries it out.
public struct ErasureRequest: Sendable {
    public var key: ErasureKey
    /// What presence found of the same person (their sessions' other contact fields).
    public var presence: PresenceErasure
    /// What replaces the person's contact fields where rows are kept (ledger, payments,
    /// alerts): the server's keyed hash of the key, the same for the same person.
    public var pseudonym: String
    /// The key as the erasure record keeps it: hashed, never in clear.
    public var keyHash: String
    public var by: String

    public init(key: ErasureKey, presence: PresenceErasure, pseudonym: String, keyHash: String, by: String) {
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

extension RecordsStore {
    /// Deletes the person's payment errors and activity, empties the payloads and headers of
    /// the webhook deliveries of their payments, and puts the pseudonym in place of their
    /// contact fields in payments, payment events, the ledger, wallets and alerts (kept
    /// for accounting). The person is the key, widened once by what their sessions,
    /// payments and activity name. Part of the caller's transaction.
    public func erase(_ request: ErasureRequest, at now: Int64) throws(Failure) -> RecordsErasure {
        var emails = request.presence.emails, phones = request.presence.phones, users = request.presence.userIds
        let sessions = request.presence.sessionIds.union(request.key.kind == "session_id" ? [request.key.normalized] : [])
        switch request.key {
        case .email(let email): emails.insert(email.lowercased())
        case .phone(let phone): phones.insert(phone)
        case .userId(let id): users.insert(id)
        case .sessionId: break
        }
        let nocaseEmail = db.dialect == .sqlite ? "email COLLATE NOCASE" : "lower(email)"
        func list(_ values: [String], from start: Int) -> String { values.indices.map { "$\(start + $0)" }.joined(separator: ", ") }
        // The same person under their other keys, as their payments and activity name them.
        func personCondition(_ values: inout [Value]) -> String {
            var parts: [String] = []
            let e = emails.sorted(), p = phones.map(PhoneNumber.digits).filter { !$0.isEmpty }.sorted(), u = users.sorted()
            if !e.isEmpty { parts.append("\(nocaseEmail) IN (\(list(e.map { db.dialect == .sqlite ? $0 : $0.lowercased() }, from: values.count + 1)))"); values += e.map { .text($0) } }
            if !p.isEmpty { parts.append("phone_digits IN (\(list(p, from: values.count + 1)))"); values += p.map { .text($0) } }
            if !u.isEmpty { parts.append("user_id IN (\(list(u, from: values.count + 1)))"); values += u.map { .text($0) } }
            return parts.isEmpty ? "1 = 0" : parts.joined(separator: " OR ")
        }
        var values: [Value] = []
        let paymentsOfPerson = personCondition(&values)
        var references: [String] = []
        for row in try db.query("SELECT reference, user_id, email, phone FROM payments WHERE \(paymentsOfPerson)", values) {
            if let reference = row[0].text { references.append(reference) }
            if let id = row[1].text, !id.hasPrefix("erased-") { users.insert(id) }
            if let email = row[2].text { emails.insert(email.lowercased()) }
            if let phone = row[3].text { phones.insert(phone) }
        }
        let activityEmails = emails.sorted(), activityUsers = users.sorted()
        var activityValues: [Value] = []
        var activityParts: [String] = []
        if !activityEmails.isEmpty {
            activityParts.append("\(nocaseEmail) IN (\(list(activityEmails, from: 1)))")
            activityValues += activityEmails.map { .text(db.dialect == .sqlite ? $0 : $0.lowercased()) }
        }
        if !activityUsers.isEmpty {
            activityParts.append("user_id IN (\(list(activityUsers, from: activityValues.count + 1)))")
            activityValues += activityUsers.map { .text($0) }
        }
        for row in try db.query("SELECT user_id FROM activity WHERE \(activityParts.isEmpty ? "1 = 0" : activityParts.joined(separator: " OR "))", activityValues) {
            if let id = row[0].text { users.insert(id) }
        }

        var erased = RecordsErasure()
        // Payment errors: theirs by contact, or recorded in one of their sessions.
        var errorValues: [Value] = []
        var errorParts: [String] = []
        let e = emails.sorted(), rawPhones = phones.sorted(), s = sessions.sorted()
        if !e.isEmpty { errorParts.append("\(nocaseEmail) IN (\(list(e, from: 1)))"); errorValues += e.map { .text($0) } }
        if !rawPhones.isEmpty { errorParts.append("phone IN (\(list(rawPhones, from: errorValues.count + 1)))"); errorValues += rawPhones.map { .text($0) } }
        if !s.isEmpty { errorParts.append("session_id IN (\(list(s, from: errorValues.count + 1)))"); errorValues += s.map { .text($0) } }
        if !errorParts.isEmpty {
            try db.query("DELETE FROM payment_errors WHERE \(errorParts.joined(separator: " OR "))", errorValues)
            erased.paymentErrors = db.changes
        }
        // Activity: theirs by user id or email.
        var activityDelete: [Value] = []
        var activityDeleteParts: [String] = []
        let u = users.sorted()
        if !e.isEmpty { activityDeleteParts.append("\(nocaseEmail) IN (\(list(e, from: 1)))"); activityDelete += e.map { .text($0) } }
        if !u.isEmpty { activityDeleteParts.append("user_id IN (\(list(u, from: activityDelete.count + 1)))"); activityDelete += u.map { .text($0) } }
        if !activityDeleteParts.isEmpty {
            try db.query("DELETE FROM activity WHERE \(activityDeleteParts.joined(separator: " OR "))", activityDelete)
            erased.activity = db.changes
        }
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
    public func scrubAfterErasure() {
        guard db.dialect == .sqlite else { return }
        try? db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }
}
