import Auth
import Records

/// What the console's account endpoints ask of `ConsoleAccounts` (its own thread and
/// database connection: a password check takes a few hundred milliseconds of scrypt, which
/// no loop and not the money writer may spend).
enum AccountCall: Sendable {
    /// `client`: the address as kept (`--ip-privacy`) for the audit log; `throttleKey`: the
    /// whole address's bucket, which failed sign-ins are counted by.
    case signIn(name: String, password: String, client: String?, throttleKey: UInt64)
    case redeem(code: String, client: String?, throttleKey: UInt64)
    case signOut(ConsoleSession, client: String?)
    /// `POST /api/console/links`: a one-time sign-in URL for an operator (made if new).
    /// `base`: the hub's address as the caller reached it (`http://host:port`).
    case link(name: String, role: AccessToken.Scope, by: String, client: String?, base: String)
    case revoke(Revocations.Revocation, by: String, client: String?)
    case audit(before: Int64?, limit: Int)
}

/// What the accounts thread replies to a call, as values: the caller's loop makes the HTTP
/// answer and the session cookie (`AccountAnswers.response`).
enum AccountReply: Sendable {
    /// Signed in, by password or one-time link: the new session.
    case signedIn(ConsoleSession)
    case signedOut
    /// A one-time sign-in link: the code, the hub's address as the caller reached it, and
    /// when the code expires (seconds since the epoch).
    case link(code: String, base: String, expiresAt: Int64)
    case revoked
    /// The audit log's entries, newest first, and the page's limit.
    case audit([AuditEntry], limit: Int)
}

/// Why the accounts thread did not do a call (nothing was done, but a failure's audit entry).
enum AccountRefusal: Error, Sendable {
    /// Too many failed sign-ins from the address or for the name: seconds to wait.
    case tooManyAttempts(retryAfter: Int64)
    /// A one-time code that is unknown, used or expired.
    case invalidCode
    case invalidCredentials
    case operatorDisabled(name: String)
    /// The operator exists with another role than the link asks for.
    case roleConflict(name: String, role: String, asked: String)
    /// As many calls wait on the accounts thread as may (`ConsoleAccounts.maxQueued`).
    case busy
    case notStarted
    /// The records database did not take it.
    case databaseUnavailable
}
