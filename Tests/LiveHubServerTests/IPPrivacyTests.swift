import Testing
@testable import LiveHubServer

@Suite("IP privacy")
struct IPPrivacyTests {
    @Test func truncateKeepsTheNetworkOnly() {
        #expect(IPPrivacy.truncate.kept("203.0.113.77") == "203.0.113.0")
        #expect(IPPrivacy.truncate.kept("::ffff:198.51.100.9") == "198.51.100.0", "an IPv4-mapped address is IPv4")
        #expect(IPPrivacy.truncate.kept("2001:db8:85a3:8d3:1319:8a2e:370:7348") == "2001:db8:85a3::")
        #expect(IPPrivacy.truncate.kept("not an address") == nil)
        #expect(IPPrivacy.none.kept("203.0.113.77") == nil)
        #expect(IPPrivacy.full.kept("203.0.113.77") == "203.0.113.77")
    }

    @Test func addressHeadersAreReducedTheRestKept() {
        #expect(IPPrivacy.truncate.keptHeaderLine(name: "X-Forwarded-For", value: "203.0.113.77, 10.1.2.3") == "X-Forwarded-For: 203.0.113.0, 10.1.2.0")
        #expect(IPPrivacy.truncate.keptHeaderLine(name: "Forwarded", value: "for=203.0.113.77;proto=https") == "Forwarded: for=203.0.113.0;proto=https")
        #expect(IPPrivacy.none.keptHeaderLine(name: "x-real-ip", value: "203.0.113.77") == nil)
        #expect(IPPrivacy.none.keptHeaderLine(name: "User-Agent", value: "curl/8") == "User-Agent: curl/8")
    }
}
