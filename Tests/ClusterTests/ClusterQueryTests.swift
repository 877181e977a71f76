import Testing
@testable import Cluster
import Hub

@Suite("Questions between nodes")
struct ClusterQueryTests {
    @Test(arguments: [PersonKey.email("Ann@shop.test"), .phone("+254 700\t000"), .userId("u\u{0}1\t\t"), .sessionId("s-é-1")])
    func aQuestionAboutAPersonSurvivesItsPayloadWhateverTheKeyHolds(_ key: PersonKey) throws {
        let payload = ClusterQuery.sessions(key).payload(asker: "node-1", id: 42)
        #expect(!payload.utf8.contains(0), "a NOTIFY payload may not hold NUL")
        let asked = try #require(ClusterQuery.asked(payload: payload))
        #expect(asked == ClusterQuery.Asked(asker: "node-1", id: 42, query: .sessions(key)))
    }

    @Test func aFunnelQuestionAndItsAnswerSurviveTheirEncoding() throws {
        let asked = try #require(ClusterQuery.asked(payload: ClusterQuery.checkoutFunnel(since: -5).payload(asker: "127.0.0.1:8081", id: 7)))
        #expect(asked.query == .checkoutFunnel(since: -5) && asked.asker == "127.0.0.1:8081")
        let counts = [5, 4, 3, 2, 1 << 40]
        #expect(ClusterQuery.counts(ClusterQuery.encoded(counts: counts), steps: 5) == counts)
        #expect(ClusterQuery.counts(ClusterQuery.encoded(counts: counts), steps: 4) == nil)
    }

    @Test(arguments: ["", "node-1", "node-1\tx\tsessions\temail\t\\x41", "node-1\t1\tsessions\tname\t\\x41",
                      "node-1\t1\tsessions\temail\t41", "node-1\t1\tcheckout\tsoon", "node-1\t1\tweather\tnow"])
    func aPayloadThisBuildDoesNotKnowIsIgnored(_ payload: String) {
        #expect(ClusterQuery.asked(payload: payload) == nil)
    }
}
