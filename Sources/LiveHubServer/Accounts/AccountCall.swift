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
