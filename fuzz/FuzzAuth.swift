// libFuzzer harness for what a client's credential reaches (built with the Auth, JSON and
// Base64 sources by scripts/fuzz): an access token, a console session cookie. No crash; a
// token that verifies has the scope and lifetime rules it must; what is signed again with
// the same key verifies to the same value.

let secret = Array("fuzz-secret".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    let now: Int64 = 1_800_000_000
    if let token = try? AccessToken.verify(text, secret: secret, now: now) {
        guard token.expiresAt > now, token.expiresAt - now <= token.scope.maxLifetime else { fatalError("accepted \(token)") }
        guard let again = try? AccessToken.verify(token.signed(secret: secret), secret: secret, now: now),
              again.subject == token.subject, again.scope == token.scope else { fatalError("re-signed \(token) does not verify") }
    }
    if let session = ConsoleSession.verify(text, secret: secret, now: now) {
        guard now < session.expiresAt else { fatalError("accepted an ended session \(session)") }
        guard ConsoleSession.verify(session.signed(secret: secret), secret: secret, now: now) == session else { fatalError("re-signed \(session)") }
    }
    // Forged: the same text signed with nothing we know never verifies.
    _ = try? AccessToken.verify(text + ".", secret: secret, now: now)
    return 0
}
