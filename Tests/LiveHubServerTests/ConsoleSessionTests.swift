import Auth
import Testing
@testable import LiveHubServer

@Suite("Console accounts, sans-I/O")
struct ConsoleSessionTests {
    let secret = Array("test-secret".utf8)

    @Test func aSessionCookieIsOursWholeAndNotIdle() {
        let session = ConsoleSession.start(name: "alice", role: .admin, now: 1_000)
        let cookie = session.signed(secret: secret)
        #expect(ConsoleSession.verify(cookie, secret: secret, now: 1_010) == session)
        #expect(ConsoleSession.verify(cookie, secret: Array("other".utf8), now: 1_010) == nil, "another hub's")
        #expect(ConsoleSession.verify(cookie + "x", secret: secret, now: 1_010) == nil, "altered")
        #expect(ConsoleSession.verify(cookie, secret: secret, now: 1_000 + ConsoleSession.idleLimit) == nil, "idle too long")
        var busy = session
        busy.seen = 1_000 + ConsoleSession.absoluteLimit - 10
        #expect(ConsoleSession.verify(busy.signed(secret: secret), secret: secret, now: 1_000 + ConsoleSession.absoluteLimit) == nil,
                "past the absolute limit, however busy")
        #expect(session.csrfToken(secret: secret) != ConsoleSession.start(name: "alice", role: .admin, now: 1_000).csrfToken(secret: secret))
    }

    @Test func revocationsCoverAnIdOrASubjectsEarlierTokens() {
        let revocations = Revocations()
        revocations.add(.id("j1"))
        revocations.add(.subject("bob", issuedBefore: 500))
        #expect(revocations.isRevoked(id: "j1", subject: "x", issuedAt: 900))
        #expect(revocations.isRevoked(id: nil, subject: "bob", issuedAt: 500))
        #expect(revocations.isRevoked(id: "j2", subject: "bob", issuedAt: 0), "a token without iat is covered")
        #expect(!revocations.isRevoked(id: "j2", subject: "bob", issuedAt: 501))
    }

    @Test func aTokenOutlivingItsScopesCapIsRefused() throws {
        let now: Int64 = 1_000_000
        let long = AccessToken(subject: "s", scope: .admin, expiresAt: now + 31 * 86_400).signed(secret: secret)
        #expect(throws: AccessToken.Failure.lifetimeTooLong) { try AccessToken.verify(long, secret: secret, now: now) }
        let token = AccessToken.issue(subject: "s", scope: .balance, now: now, lifetime: 365 * 86_400)
        let read = try AccessToken.verify(token.signed(secret: secret), secret: secret, now: now)
        #expect(read.id == token.id && read.issuedAt == now)
    }

    @Test func aPasswordHashChecksTheRightPasswordOnly() {
        let fast = PasswordHash.Parameters(n: 1 << 10, r: 8, p: 1)
        let stored = PasswordHash.hash("correct horse battery", parameters: fast)
        #expect(PasswordHash.verify("correct horse battery", against: stored))
        #expect(!PasswordHash.verify("correct horse batterz", against: stored))
        #expect(!PasswordHash.verify("correct horse battery", against: stored.replacing("$1024$", with: "$2048$")))
        #expect(!PasswordHash.verify("x", against: "scrypt$1099511627776$8$1$AA$AA"), "absurd parameters are no match, not a 1 TiB allocation")
    }

    @Test func aLoginThrottleCountsFailuresPerKeyOverItsWindow() {
        var throttle = LoginThrottle()
        for i in 0..<10 { throttle.failed("a", now: Int64(i)) }
        let wait: Int64? = throttle.wait("a", now: 10)
        #expect(wait == Int64(15 * 60 - 10))
        #expect(throttle.wait("b", now: 10) == nil)
        #expect(throttle.wait("a", now: 15 * 60 + 1) == nil, "the window has passed")
    }
}
