import Auth
import Dispatch
import Hub
import JSON
import Logging
import Records

/// The console's accounts: sign-in (password or one-time code), sign-out, links, token
/// revocation and the audit log, on a thread and a records connection of their own (a
/// password check is 128 MiB and a few hundred milliseconds of scrypt: never on a loop or
/// the money writer). Calls queue here, at most `maxQueued` at once (past that: 503). It also
/// reads the revocations every node records, every `pollInterval`, into `revocations`.
final class ConsoleAccounts: @unchecked Sendable {
    private let queue = DispatchQueue(label: "livehub.accounts")
    /// Touched only on `queue`.
    private var store: RecordsStore?
    private var throttle = LoginThrottle()
    private var lastRevocation: Int64 = 0
    private let secret: [UInt8]
    let revocations: Revocations
    private let logger = Logger(label: "livehub.accounts")
    private let queued = QueuedCount()

    static let maxQueued = 64
    static let pollInterval = DispatchTimeInterval.seconds(1)
    static let codeLifetime = SigninCode.lifetime

    init(secret: [UInt8], revocations: Revocations) {
        self.secret = secret
        self.revocations = revocations
    }

    /// Opens its connection and reads every revocation recorded so far (before the hub
    /// answers anything), then keeps reading new ones.
    func start(database: RecordsDatabase) throws(RecordsFailure) {
        let store = try database.open()
        self.store = store
        try readRevocations(store)
        scheduleRevocationPoll()
    }

    private func scheduleRevocationPoll() {
        queue.asyncAfter(deadline: .now() + Self.pollInterval) { [self] in
            if let store { try? readRevocations(store) }
            scheduleRevocationPoll()
        }
    }

    private func readRevocations(_ store: RecordsStore) throws(RecordsFailure) {
        for row in try store.revocations(after: lastRevocation) {
            lastRevocation = row.id
            if let id = row.tokenId { revocations.add(.id(id)) }
            if let subject = row.subject, let before = row.issuedBefore { revocations.add(.subject(subject, issuedBefore: before)) }
        }
    }

    /// Runs `call` on the accounts thread; `reply` gets its reply there (at once when the
    /// queue is full).
    func submit(_ call: AccountCall, reply: @escaping @Sendable (Result<AccountReply, AccountRefusal>) -> Void) {
        guard queued.enter(limit: Self.maxQueued) else {
            reply(.failure(.busy))
            return
        }
        queue.async { [self] in
            defer { queued.leave() }
            guard let store else { return reply(.failure(.notStarted)) }
            do {
                reply(.success(try answer(call, store: store, now: UnixTime.seconds)))
            } catch let refusal as AccountRefusal {
                reply(.failure(refusal))
            } catch {
                logger.error("account call failed", metadata: ["error": "\(error)"])
                reply(.failure(.databaseUnavailable))
            }
        }
    }

    /// Appends to the audit log (on the accounts thread), then calls `done` there.
    func audit(_ entry: AuditEntry, done: (@Sendable () -> Void)? = nil) {
        queue.async { [self] in
            do { try store?.appendAudit(entry) } catch { logger.error("audit entry not written", metadata: ["action": "\(entry.action)", "error": "\(error)"]) }
            done?()
        }
    }

    private func answer(_ call: AccountCall, store: RecordsStore, now: Int64) throws -> AccountReply {
        switch call {
        case .signIn(let name, let password, let client, let throttleKey):
            return try signIn(name: name, password: password, client: client, throttleKey: throttleKey, store: store, now: now)
        case .redeem(let code, let client, let throttleKey):
            // Codes are throttled like passwords: every failure writes the audit log.
            let addressKey = "address \(throttleKey)"
            if let wait = throttle.wait(addressKey, now: now) { throw AccountRefusal.tooManyAttempts(retryAfter: wait) }
            guard let (name, roleName) = try store.takeSigninCode(hash: Self.codeHash(code, secret: secret), now: now),
                  let role = AccessToken.Scope(rawValue: roleName),
                  let op = try store.operatorNamed(name), !op.disabled else {
                throttle.failed(addressKey, now: now)
                try store.appendAudit(AuditEntry(at: now * 1000, actor: "anonymous", action: "sign_in_failed", target: nil, address: client,
                                                 detail: "a one-time code that is unknown, used or expired"))
                throw AccountRefusal.invalidCode
            }
            return try signedIn(name: name, role: role, how: "one-time link", client: client, store: store, now: now)
        case .signOut(let session, let client):
            try store.addRevocation(tokenId: session.id, subject: nil, issuedBefore: nil, by: session.name, at: now * 1000)
            revocations.add(.id(session.id))
            try store.appendAudit(AuditEntry(at: now * 1000, actor: session.name, action: "sign_out", address: client))
            return .signedOut
        case .link(let name, let role, let by, let client, let base):
            if let op = try store.operatorNamed(name) {
                guard !op.disabled else { throw AccountRefusal.operatorDisabled(name: name) }
                guard op.role == role.rawValue else { throw AccountRefusal.roleConflict(name: name, role: op.role, asked: role.rawValue) }
            } else {
                _ = try store.addOperator(Operator(name: name, role: role.rawValue, passwordHash: nil, disabled: false, createdAt: now * 1000), at: now * 1000)
                try store.appendAudit(AuditEntry(at: now * 1000, actor: by, action: "user_add", target: name, address: client, detail: "role \(role.rawValue), by link"))
            }
            let code = Self.newCode()
            try store.addSigninCode(hash: Self.codeHash(code, secret: secret), name: name, role: role.rawValue, expiresAt: now + Self.codeLifetime)
            try store.appendAudit(AuditEntry(at: now * 1000, actor: by, action: "link_issued", target: name, address: client))
            return .link(code: code, base: base, expiresAt: now + Self.codeLifetime)
        case .revoke(let revocation, let by, let client):
            switch revocation {
            case .id(let id):
                try store.addRevocation(tokenId: id, subject: nil, issuedBefore: nil, by: by, at: now * 1000)
            case .subject(let subject, let before):
                try store.addRevocation(tokenId: nil, subject: subject, issuedBefore: before, by: by, at: now * 1000)
            }
            revocations.add(revocation)
            let target: String
            switch revocation {
            case .id(let id): target = "token \(id)"
            case .subject(let subject, let before): target = "every token of \(subject) issued up to \(Timestamp.iso8601(milliseconds: before * 1000))"
            }
            try store.appendAudit(AuditEntry(at: now * 1000, actor: by, action: "token_revoke", target: target, address: client))
            return .revoked
        case .audit(let before, let limit):
            return .audit(try store.audit(before: before, limit: limit), limit: limit)
        }
    }

    private func signIn(name: String, password: String, client: String?, throttleKey: UInt64, store: RecordsStore, now: Int64) throws -> AccountReply {
        // By the whole address, whatever `--ip-privacy` keeps of it (with none kept, one
        // bucket for everyone would let one client lock every other out).
        let addressKey = "address \(throttleKey)", nameKey = "name " + name
        if let wait = throttle.wait(addressKey, now: now) ?? throttle.wait(nameKey, now: now) { throw AccountRefusal.tooManyAttempts(retryAfter: wait) }
        let op = try store.operatorNamed(name)
        // The same work whether or not the account exists (no telling names by time).
        let matches = PasswordHash.verify(password, against: op?.passwordHash ?? PasswordHash.decoy)
        guard let op, matches, op.passwordHash != nil, !op.disabled, let role = AccessToken.Scope(rawValue: op.role) else {
            throttle.failed(addressKey, now: now)
            throttle.failed(nameKey, now: now)
            try store.appendAudit(AuditEntry(at: now * 1000, actor: name, action: "sign_in_failed", address: client,
                                             detail: op == nil ? "no such operator" : op!.disabled ? "disabled" : "wrong password"))
            throw AccountRefusal.invalidCredentials
        }
        throttle.succeeded(nameKey)
        return try signedIn(name: op.name, role: role, how: "password", client: client, store: store, now: now)
    }

    private func signedIn(name: String, role: AccessToken.Scope, how: String, client: String?, store: RecordsStore, now: Int64) throws -> AccountReply {
        let session = ConsoleSession.start(name: name, role: role, now: now)
        try store.appendAudit(AuditEntry(at: now * 1000, actor: name, action: "sign_in", address: client, detail: "\(how), role \(role.rawValue)"))
        return .signedIn(session)
    }

    static func newCode() -> String { HMAC.hex(HMAC.randomBytes(24)) }

    static func codeHash(_ code: String, secret: [UInt8]) -> String { SigninCode.hash(code, secret: secret) }
}

/// How many calls wait on the accounts thread.
final class QueuedCount: @unchecked Sendable {
    private let lock = DispatchSemaphore(value: 1)
    private var count = 0

    func enter(limit: Int) -> Bool {
        lock.wait()
        defer { lock.signal() }
        guard count < limit else { return false }
        count += 1
        return true
    }

    func leave() {
        lock.wait()
        count -= 1
        lock.signal()
    }
}
