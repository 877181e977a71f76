import Auth
import Testing
@testable import LiveHubServer
import WebSocket

@Suite("Rate limits")
struct RateLimiterTests {
    let second: UInt64 = 1_000_000_000

    @Test func aBucketAllowsItsBurstThenItsRate() {
        let limiter = RateLimiter(rule: .init(ratePerSecond: 2, burst: 5))
        let start: UInt64 = 100 * second
        for _ in 0..<5 { #expect(limiter.check(1, now: start) == nil) }
        #expect(limiter.check(1, now: start) == 1, "empty: retry in a second")
        #expect(limiter.check(2, now: start) == nil, "another client has its own bucket")
        #expect(limiter.check(1, now: start + second / 2) == nil, "half a second gives one token")
        #expect(limiter.check(1, now: start + second / 2) != nil)
        // A long pause refills to the burst, never beyond.
        for _ in 0..<5 { #expect(limiter.check(1, now: start + 3600 * second) == nil) }
        #expect(limiter.check(1, now: start + 3600 * second) != nil)
    }

    @Test func retryAfterSaysWhenATokenComes() {
        let limiter = RateLimiter(rule: .init(ratePerSecond: 0.1, burst: 1))
        #expect(limiter.check(7, now: second) == nil)
        #expect(limiter.check(7, now: second) == 10)
    }

    @Test func theTableIsBoundedAndOverflowShares() {
        let limiter = RateLimiter(rule: .init(ratePerSecond: 1, burst: 2), maxClients: 100)
        for key in 0..<100 { #expect(limiter.check(UInt64(key), now: second) == nil) }
        #expect(limiter.trackedClients == 100)
        // Table full of busy clients: newcomers share one overflow bucket.
        #expect(limiter.check(1000, now: second) == nil)
        #expect(limiter.check(1001, now: second) == nil)
        #expect(limiter.check(1002, now: second) != nil)
        #expect(limiter.trackedClients == 100)
        // Once the busy ones have refilled they are dropped and newcomers get their own.
        #expect(limiter.check(2000, now: 100 * second) == nil)
        #expect(limiter.trackedClients == 1)
    }
}

@Suite("Client addresses")
struct ClientAddressTests {
    @Test(arguments: [("10.0.0.0/8", "10.200.3.4", true), ("10.0.0.0/8", "11.0.0.1", false),
                      ("192.168.1.0/24", "192.168.1.255", true), ("192.168.1.0/24", "192.168.2.0", false),
                      ("127.0.0.1", "127.0.0.1", true), ("127.0.0.1", "127.0.0.2", false),
                      ("fd00::/8", "fd12::1", true), ("fd00::/8", "fe80::1", false), ("::1/128", "::1", true),
                      ("10.0.0.0/8", "::ffff:10.1.2.3", true), ("10.0.0.0/8", "fd00::1", false), ("0.0.0.0/0", "8.8.8.8", true)])
    func rangesContain(range: String, address: String, expected: Bool) throws {
        let parsed = try #require(AddressRange(range))
        #expect(parsed.contains(try #require(ClientAddress(address))) == expected)
    }

    @Test(arguments: ["10.0.0.0/33", "10.0.0/8", "nope", "", "::/129", "10.0.0.0/-1", "1.2.3.4/x"])
    func badRangesAreRefused(text: String) {
        #expect(AddressRange(text) == nil)
    }

    @Test func ipv6ClientsAreCountedByTheirSlash64() throws {
        let a = try #require(ClientAddress("2001:db8:1:2::1")), b = try #require(ClientAddress("2001:db8:1:2:ffff::9"))
        let c = try #require(ClientAddress("2001:db8:1:3::1"))
        #expect(a.rateKey == b.rateKey)
        #expect(a.rateKey != c.rateKey)
        #expect(ClientAddress("1.2.3.4")?.rateKey != ClientAddress("1.2.3.5")?.rateKey)
    }

    @Test func forwardedForIsReadOnlyFromTrustedProxies() throws {
        let proxies = [try #require(AddressRange("127.0.0.1/32")), try #require(AddressRange("10.0.0.0/8"))]
        // An untrusted peer's header is ignored: it could say anything.
        #expect(ClientAddress.client(peer: "203.0.113.9", forwardedFor: "1.1.1.1", trusted: proxies) == "203.0.113.9")
        // Through nginx: the hop it added.
        #expect(ClientAddress.client(peer: "127.0.0.1", forwardedFor: "198.51.100.7", trusted: proxies) == "198.51.100.7")
        // A client's forged first entry is skipped: read from the end, past trusted proxies.
        #expect(ClientAddress.client(peer: "127.0.0.1", forwardedFor: "6.6.6.6, 198.51.100.7, 10.1.1.1", trusted: proxies) == "198.51.100.7")
        // Garbage stops the walk at the proxy that passed it on.
        #expect(ClientAddress.client(peer: "127.0.0.1", forwardedFor: "not-an-ip", trusted: proxies) == "127.0.0.1")
        #expect(ClientAddress.client(peer: "127.0.0.1", forwardedFor: nil, trusted: proxies) == "127.0.0.1")
        #expect(ClientAddress.client(peer: "127.0.0.1", forwardedFor: "1.2.3.4", trusted: []) == "127.0.0.1")
    }
}

@Suite("Tokens, strictly")
struct StrictTokenTests {
    let secret = Array("k".utf8)

    private func sign(header: String = #"{"alg":"HS256","typ":"JWT"}"#, _ payload: String) -> String {
        func b64(_ bytes: [UInt8]) -> String { Base64.encode(bytes, urlSafe: true, padding: false) }
        let signingInput = b64(Array(header.utf8)) + "." + b64(Array(payload.utf8))
        return signingInput + "." + b64(HMAC.sha256(key: secret, message: Array(signingInput.utf8)))
    }

    @Test func aWellFormedTokenVerifies() throws {
        let token = try AccessToken.verify(sign(#"{"sub":"u","scope":"seller","exp":2000000000}"#), secret: secret, now: 1_999_000_000)
        #expect(token.scope == .seller && token.subject == "u")
        _ = try AccessToken.verify(sign(#"{"sub":"u","scope":"seller","exp":2000000000.5}"#), secret: secret, now: 1_999_000_000)
    }

    @Test(arguments: [#"{"sub":"u","scope":"seller","exp":"2000000000"}"#,
                      #"{"sub":"u","scope":"balance","scope":"admin","exp":2000000000}"#,
                      #"{"sub":"u","sub":"v","scope":"seller","exp":2000000000}"#,
                      #"{"sub":"u","scope":"seller","exp":2e9}"#,
                      #"{"sub":"u","scope":"seller","exp":99999999999999999999}"#,
                      #"{"sub":"u","scope":"seller"}"#])
    func aDoubtfulTokenIsRefused(payload: String) {
        #expect(throws: AccessToken.Failure.malformed) { try AccessToken.verify(sign(payload), secret: secret, now: 1_000) }
    }

    @Test func aHeaderWithTwoAlgorithmsIsRefused() {
        let token = sign(header: #"{"alg":"none","alg":"HS256"}"#, #"{"sub":"u","scope":"seller","exp":2000000000}"#)
        #expect(throws: AccessToken.Failure.malformed) { try AccessToken.verify(token, secret: secret, now: 1_000) }
    }
}

@Suite("Usable CPUs")
struct UsableCPUTests {
    @Test(arguments: [("max 100000", nil), ("200000 100000", 2), ("150000 100000", 2), ("50000 100000", 1), ("", nil), ("x y", nil)] as [(String, Int?)])
    func aCgroupQuotaBoundsTheLoops(text: String, expected: Int?) {
        #expect(UsableCPUs.quota(fromCPUMax: text) == expected)
    }

    @Test func theCountIsAtLeastOne() {
        #expect(UsableCPUs.count() >= 1)
    }
}
