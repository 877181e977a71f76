import Hub

/// An operator of the console.
public struct Operator: Sendable, Equatable {
    public var name: String
    /// `seller`, `support` or `admin`.
    public var role: String
    /// nil: the account signs in only by one-time links (a shop's backend sends them).
    public var passwordHash: String?
    public var disabled: Bool
    public var createdAt: Int64

    public init(name: String, role: String, passwordHash: String?, disabled: Bool, createdAt: Int64) {
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.disabled = disabled
        self.createdAt = createdAt
    }
}

/// One line of the audit log: who did what to what, when, from where.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    public var at: Int64
    public var actor: String
    public var action: String
    public var target: String?
    public var address: String?
    public var detail: String?

    public init(id: Int64 = 0, at: Int64, actor: String, action: String, target: String? = nil, address: String? = nil, detail: String? = nil) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.address = address
        self.detail = detail
    }
}

/// A revocation as the database keeps it: of one token id, or of a subject's tokens
/// issued up to a second.
public struct RevocationRow: Sendable, Equatable {
    public var id: Int64
    public var tokenId: String?
    public var subject: String?
    public var issuedBefore: Int64?
}

extension RecordsStore {
    public func operatorNamed(_ name: String) throws(Failure) -> Operator? {
        try db.query("SELECT name, role, password_hash, disabled, created_at FROM operators WHERE name = $1", [.text(name)]).first.map(Self.operatorRow)
    }

    public func operators() throws(Failure) -> [Operator] {
        try db.query("SELECT name, role, password_hash, disabled, created_at FROM operators ORDER BY name", []).map(Self.operatorRow)
    }

    /// Operators who can sign in with a password (none: `serve` prints a first admin's link).
    public func operatorsWithPassword() throws(Failure) -> Int {
        Int(try db.query("SELECT count(*) FROM operators WHERE password_hash IS NOT NULL AND disabled = 0", []).first?.first?.integer ?? 0)
    }

    private static func operatorRow(_ row: [Value]) -> Operator {
        Operator(name: row[0].text ?? "", role: row[1].text ?? "", passwordHash: row[2].text, disabled: (row[3].integer ?? 0) != 0,
                 createdAt: row[4].text.flatMap(Timestamp.parse) ?? 0)
    }

    /// Adds an operator; false if the name is taken.
    public func addOperator(_ op: Operator, at now: Int64) throws(Failure) -> Bool {
        try db.query("""
            INSERT INTO operators (name, role, password_hash, disabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
            ON CONFLICT (name) DO NOTHING
            """, [.text(op.name), .text(op.role), Value(op.passwordHash), .integer(op.disabled ? 1 : 0), Self.time(now)])
        return db.changes == 1
    }

    /// Sets what is given; false if there is no such operator.
    public func updateOperator(_ name: String, role: String? = nil, passwordHash: String? = nil, disabled: Bool? = nil,
                               at now: Int64) throws(Failure) -> Bool {
        try db.query("""
            UPDATE operators SET role = COALESCE($1, role), password_hash = COALESCE($2, password_hash),
                disabled = COALESCE($3, disabled), updated_at = $4 WHERE name = $5
            """, [Value(role), Value(passwordHash), Value(disabled.map { $0 ? 1 : 0 }), Self.time(now), .text(name)])
        return db.changes == 1
    }

    public func addSigninCode(hash: String, name: String, role: String, expiresAt: Int64) throws(Failure) {
        try db.query("INSERT INTO signin_codes (code_hash, name, role, expires_at) VALUES ($1, $2, $3, $4)",
                     [.text(hash), .text(name), .text(role), .integer(expiresAt)])
    }

    /// Takes a one-time code: its operator and role if it exists, is unused and is not past
    /// `now` (seconds); it is used from then on.
    public func takeSigninCode(hash: String, now: Int64) throws(Failure) -> (name: String, role: String)? {
        try db.query("UPDATE signin_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $3",
                     [Self.time(now * 1000), .text(hash), .integer(now)])
        guard db.changes == 1,
              let row = try db.query("SELECT name, role FROM signin_codes WHERE code_hash = $1", [.text(hash)]).first,
              let name = row[0].text, let role = row[1].text else { return nil }
        // Used and expired codes are of no more use to anyone.
        try db.query("DELETE FROM signin_codes WHERE expires_at < $1", [.integer(now - 86_400)])
        return (name, role)
    }

    public func addRevocation(tokenId: String?, subject: String?, issuedBefore: Int64?, by: String, at now: Int64) throws(Failure) {
        try db.query("INSERT INTO revocations (token_id, subject, issued_before, at, by) VALUES ($1, $2, $3, $4, $5)",
                     [Value(tokenId), Value(subject), Value(issuedBefore), Self.time(now), .text(by)])
    }

    /// Revocations recorded after row `id` (by any node), oldest first.
    public func revocations(after id: Int64) throws(Failure) -> [RevocationRow] {
        try db.query("SELECT id, token_id, subject, issued_before FROM revocations WHERE id > $1 ORDER BY id LIMIT 10000", [.integer(id)]).map { row in
            RevocationRow(id: row[0].integer ?? 0, tokenId: row[1].text, subject: row[2].text, issuedBefore: row[3].integer)
        }
    }

    public func appendAudit(_ entry: AuditEntry) throws(Failure) {
        try db.query("INSERT INTO audit_log (at, actor, action, target, address, detail) VALUES ($1, $2, $3, $4, $5, $6)",
                     [Self.time(entry.at), .text(entry.actor), .text(entry.action), Value(entry.target), Value(entry.address), Value(entry.detail)])
    }

    /// The newest `limit` entries before id `before` (nil: the newest), newest first.
    public func audit(before: Int64?, limit: Int) throws(Failure) -> [AuditEntry] {
        try db.query("SELECT id, at, actor, action, target, address, detail FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2",
                     [.integer(before ?? .max), .integer(Int64(limit))]).map { row in
            AuditEntry(id: row[0].integer ?? 0, at: row[1].text.flatMap(Timestamp.parse) ?? 0, actor: row[2].text ?? "",
                       action: row[3].text ?? "", target: row[4].text, address: row[5].text, detail: row[6].text)
        }
    }

    /// Deletes audit entries older than `before` (ms): the log is kept as long as alerts.
    public func pruneAudit(before: Int64) throws(Failure) {
        try db.query("DELETE FROM audit_log WHERE at < $1", [Self.time(before)])
    }
}

extension RecordsStore {
    /// Rows written before migration 9 get their email key (once; a no-op after).
    func fillEmailKeys() throws(Failure) {
        for table in ["payments", "payment_events", "activity", "payment_errors"] {
            let emails = try db.query("SELECT DISTINCT email FROM \(table) WHERE email IS NOT NULL AND email_key IS NULL", [])
            for row in emails {
                guard let email = row[0].text else { continue }
                try db.query("UPDATE \(table) SET email_key = $1 WHERE email = $2 AND email_key IS NULL", [.text(EmailKey.of(email)), .text(email)])
            }
        }
    }
}
