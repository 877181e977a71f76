import Hub

/// One of the identities an erasure covers, and where it was found: the key asked for
/// (`request`), or a link the shop itself made (`payments`: its payment events and the
/// providers' verified webhooks; `activity`: its activity API). Sessions and payment
/// errors come from anonymous beacons: what they claim never widens an erasure.
public struct ErasureIdentity: Sendable, Equatable {
    public var key: PersonKey
    public var source: String

    public init(key: PersonKey, source: String) {
        self.key = key
        self.source = source
    }
}

/// What an erasure would cover: the identities and, per kind, the records database's rows.
public struct ErasurePlan: Sendable, Equatable {
    public var identities: [ErasureIdentity]
    public var rows: RecordsErasure

    public init(identities: [ErasureIdentity], rows: RecordsErasure) {
        self.identities = identities
        self.rows = rows
    }
}

/// `POST /api/privacy/erase {"confirm"}`, as the records database carries it out: exactly
/// the identities the preview named, widened no further.
public struct ErasureRequest: Sendable {
    /// The key the preview was asked for (first) and the identities it found.
    public var identities: [PersonKey]
    /// The confirmation's one-time id, hashed: a second use of it is refused.
    public var confirmHash: String
    /// What replaces the person's contact fields where rows are kept (ledger, payments,
    /// alerts): the server's keyed hash of the key, the same for the same person.
    public var pseudonym: String
    /// Each identity as the erasure record keeps it: hashed, never in clear.
    public var keyHashes: [String]
    public var by: String

    public init(identities: [PersonKey], confirmHash: String, pseudonym: String, keyHashes: [String], by: String) {
        self.identities = identities
        self.confirmHash = confirmHash
        self.pseudonym = pseudonym
        self.keyHashes = keyHashes
        self.by = by
    }
}

/// What an erasure did (or, in a plan, would do) to the records database's rows.
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
/// the order they appear (as SQLite binds them); with no values, no row. (Erasures and
/// support's timeline select a person's rows so.)
struct AnyOf {
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

/// An erasure's identities by kind, as the queries compare them.
private struct IdentitySets {
    var emails: Set<String> = [], phones: Set<String> = [], users: Set<String> = [], sessions: Set<String> = []

    init(_ keys: [PersonKey]) {
        for key in keys {
            switch key {
            case .email(let email): emails.insert(EmailKey.of(email))
            case .phone(let phone): phones.insert(phone)
            case .userId(let id): users.insert(id)
            case .sessionId(let id): sessions.insert(id)
            }
        }
    }

    var phoneDigits: [String] { phones.map(PhoneNumber.digits).filter { !$0.isEmpty } }
}

extension RecordsStore {
    /// The most identities one erasure covers: a key linked to more is a question for a
    /// person, not a batch job.
    public static let maxErasureIdentities = 64

    private var emailColumn: String { "email_key" }  // compared with `EmailKey`s

    /// Who `key` is, widened once through the links the shop made (payments and
    /// activity), and how many rows of each kind an erasure of them would touch.
    public func erasurePlan(_ key: PersonKey) throws(Failure) -> ErasurePlan {
        var identities = [ErasureIdentity(key: key, source: "request")]
        func add(_ key: PersonKey, _ source: String) {
            guard identities.count < Self.maxErasureIdentities,
                  !identities.contains(where: { $0.key.kind == key.kind && $0.key.normalized == key.normalized }) else { return }
            identities.append(ErasureIdentity(key: key, source: source))
        }
        let asked = IdentitySets([key])
        var ofPayments = AnyOf()
        ofPayments.column(emailColumn, in: asked.emails)
        ofPayments.column("phone_digits", in: asked.phoneDigits)
        ofPayments.column("user_id", in: asked.users)
        for row in try db.query("SELECT user_id, email, phone FROM payments WHERE \(ofPayments.sql) ORDER BY created_at LIMIT 1000", ofPayments.values) {
            if let id = row[0].text, !id.hasPrefix("erased-") { add(.userId(id), "payments") }
            if let email = row[1].text, !email.hasPrefix("erased-") { add(.email(email), "payments") }
            if let phone = row[2].text { add(.phone(phone), "payments") }
        }
        var ofActivity = AnyOf()
        ofActivity.column(emailColumn, in: asked.emails)
        ofActivity.column("user_id", in: asked.users)
        for row in try db.query("SELECT user_id, email FROM activity WHERE \(ofActivity.sql) ORDER BY created_at LIMIT 1000", ofActivity.values) {
            if let id = row[0].text { add(.userId(id), "activity") }
            if let email = row[1].text { add(.email(email), "activity") }
        }
        return ErasurePlan(identities: identities, rows: try count(IdentitySets(identities.map(\.key))))
    }

    private func count(_ sets: IdentitySets) throws(Failure) -> RecordsErasure {
        func number(_ sql: String, _ condition: AnyOf, closing: String = "") throws(Failure) -> Int {
            Int(try db.query(sql + condition.sql + closing, condition.values).first?.first?.integer ?? 0)
        }
        var rows = RecordsErasure()
        rows.paymentErrors = try number("SELECT count(*) FROM payment_errors WHERE ", Self.errors(of: sets, email: emailColumn))
        rows.activity = try number("SELECT count(*) FROM activity WHERE ", Self.activity(of: sets, email: emailColumn))
        let payments = Self.payments(of: sets, email: emailColumn)
        rows.payments = try number("SELECT count(*) FROM payments WHERE ", payments)
        rows.webhookDeliveries = try number("SELECT count(*) FROM webhook_deliveries WHERE reference IN (SELECT reference FROM payments WHERE ",
                                            payments, closing: ")")
        var ofUsers = AnyOf()
        ofUsers.column("user_id", in: sets.users)
        rows.transactions = try number("SELECT count(*) FROM transactions WHERE ", ofUsers)
        rows.alerts = try number("SELECT count(*) FROM alerts WHERE ", ofUsers)
        return rows
    }

    /// The conditions an erasure's identities select rows by: payment errors by contact (the
    /// phone as it was written) or session, activity by user id or email, payments by any.
    private static func errors(of sets: IdentitySets, email: String) -> AnyOf {
        var condition = AnyOf()
        condition.column(email, in: sets.emails)
        condition.column("phone", in: sets.phones)
        condition.column("session_id", in: sets.sessions)
        return condition
    }

    private static func activity(of sets: IdentitySets, email: String) -> AnyOf {
        var condition = AnyOf()
        condition.column(email, in: sets.emails)
        condition.column("user_id", in: sets.users)
        return condition
    }

    private static func payments(of sets: IdentitySets, email: String) -> AnyOf {
        var condition = AnyOf()
        condition.column(email, in: sets.emails)
        condition.column("phone_digits", in: sets.phoneDigits)
        condition.column("user_id", in: sets.users)
        return condition
    }

    /// Deletes the identities' payment errors and activity, empties the payloads and headers
    /// of the webhook deliveries of their payments, and puts the pseudonym in place of their
    /// contact fields in payments, payment events, the ledger, wallets and alerts (kept for
    /// accounting). Exactly the identities the confirmed preview named: nothing is widened
    /// here. A confirmation already used is refused. Part of the caller's transaction.
    public func erase(_ request: ErasureRequest, at now: Int64) throws(Failure) -> RecordsErasure? {
        guard try db.query("SELECT 1 FROM erasures WHERE key_kind = 'confirm' AND key_hash = $1", [.text(request.confirmHash)]).isEmpty else {
            return nil
        }
        let sets = IdentitySets(request.identities)
        let emails = sets.emails, phones = sets.phones
        var erased = RecordsErasure()
        let ofPayments = Self.payments(of: sets, email: emailColumn)
        let references = try db.query("SELECT reference FROM payments WHERE \(ofPayments.sql)", ofPayments.values).compactMap { $0[0].text }
        // The addresses as they were written (alert texts carry them so), before the rows go.
        var written: Set<String> = []
        var byKey = AnyOf()
        byKey.column("email_key", in: emails)
        // (Payment events name the emails their payments do: no index of their own.)
        for table in ["payments", "activity", "payment_errors"] {
            for row in try db.query("SELECT DISTINCT email FROM \(table) WHERE \(byKey.sql) LIMIT 100", byKey.values) {
                if let email = row[0].text { written.insert(email) }
            }
        }
        let ofErrors = Self.errors(of: sets, email: emailColumn)
        try db.query("DELETE FROM payment_errors WHERE \(ofErrors.sql)", ofErrors.values)
        erased.paymentErrors = db.changes
        let theirs = Self.activity(of: sets, email: emailColumn)
        try db.query("DELETE FROM activity WHERE \(theirs.sql)", theirs.values)
        erased.activity = db.changes
        let u = sets.users.sorted()
        let pseudonym = Value.text(request.pseudonym)
        // Payments and their events stay, under the pseudonym; their deliveries keep the row
        // (provider, time, status) without the payload and headers that named the person.
        for reference in references {
            try db.query("UPDATE webhook_deliveries SET payload = '{\"erased\":true}', headers = '', payload_truncated = 1 WHERE reference = $1",
                         [.text(reference)])
            erased.webhookDeliveries += db.changes
            try db.query("""
                UPDATE payments SET email = CASE WHEN email IS NULL THEN NULL ELSE $1 END, email_key = CASE WHEN email IS NULL THEN NULL ELSE $1 END,
                    phone = NULL, phone_digits = NULL,
                    user_id = CASE WHEN user_id IS NULL THEN NULL ELSE $1 END WHERE reference = $2
                """, [pseudonym, .text(reference)])
            erased.payments += db.changes
            try db.query("""
                UPDATE payment_events SET email = CASE WHEN email IS NULL THEN NULL ELSE $1 END,
                    email_key = CASE WHEN email IS NULL THEN NULL ELSE $1 END, phone = NULL,
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
            // Their notifications say who they are and what they spent: those that are no
            // ledger entry's are gone, with their marks, choices, address and cursor (a
            // ledger entry's is made from its row, which the pseudonym now holds).
            try db.query("DELETE FROM notifications WHERE user_id = $1", [.text(user)])
            try db.query("DELETE FROM notification_preferences WHERE user_id = $1", [.text(user)])
            try db.query("DELETE FROM notification_addresses WHERE user_id = $1", [.text(user)])
            try db.query("DELETE FROM notification_cursors WHERE user_id = $1", [.text(user)])
        }
        for email in emails {
            try db.query("DELETE FROM notification_addresses WHERE email_key = $1", [.text(email)])
        }
        // Alert texts name people: each of their contact values in a title or message is
        // replaced (ASCII letters whatever their case; an email also as it was written).
        let contains = db.dialect == .sqlite ? "instr" : "strpos"
        for value in Set((Array(emails) + Array(written) + Array(phones) + u).filter { $0.utf8.count >= 3 }.map(Self.asciiLowercased)) {
            for row in try db.query("SELECT id, title, message FROM alerts WHERE \(contains)(lower(message), lower($1)) > 0 OR \(contains)(lower(title), lower($1)) > 0",
                                    [.text(value)]) {
                guard let id = row[0].integer, let title = row[1].text, let message = row[2].text else { continue }
                try db.query("UPDATE alerts SET title = $1, message = $2 WHERE id = $3",
                             [.text(Self.replacing(value, in: title, with: request.pseudonym)),
                              .text(Self.replacing(value, in: message, with: request.pseudonym)), .integer(id)])
                erased.alerts += db.changes
            }
        }
        for (key, hash) in zip(request.identities, request.keyHashes) {
            try db.query("INSERT INTO erasures (at, by, key_kind, key_hash, pseudonym) VALUES ($1, $2, $3, $4, $5)",
                         [Self.time(now), .text(request.by), .text(key.kind), .text(hash), pseudonym])
        }
        try db.query("INSERT INTO erasures (at, by, key_kind, key_hash, pseudonym) VALUES ($1, $2, 'confirm', $3, $4)",
                     [Self.time(now), .text(request.by), .text(request.confirmHash), pseudonym])
        return erased
    }

    /// ASCII letters lowercased, nothing else (as SQLite's lower() does).
    static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// `text` with every occurrence of `needle` (ASCII-lowercased) replaced, ASCII letters
    /// compared without case.
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
