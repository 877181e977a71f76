import JSON
import Money
import Records
import Testing
@testable import LiveHubServer

/// `GET /api/funnels` as the caller reads it: each step's count, how many of the step before
/// did not reach it, as a number and a rate, and the conversion from the first step to the last.
@Suite("Funnel answers")
struct FunnelAnswerTests {
    @Test func ratesAreDecimalsOfFourPlacesRoundedHalfUp() {
        #expect(HubAnswers.ratio(1, 3) == "0.3333")
        #expect(HubAnswers.ratio(2, 3) == "0.6667")
        #expect(HubAnswers.ratio(5, 5) == "1.0000")
        #expect(HubAnswers.ratio(1, 8) == "0.1250")
        #expect(HubAnswers.ratio(0, 0) == "0")
    }

    @Test func eachStepSaysWhatTheStepBeforeLost() throws {
        let answer = HubAnswers.funnels(FunnelsFound(since: 0, checkout: [10, 6, 3, 2, 1],
                                                      records: .success(FunnelCounts(registration: [4, 3, 1, 1], payment: [5, 3, 2]))))
        #expect(answer.status == .ok)
        let json = try JSONParser.parse(answer.body)
        guard case .array(let steps)? = json["checkout"]?["steps"] else { Issue.record("no checkout steps: \(json)"); return }
        #expect(steps.map { $0["step"]?.stringValue } == Funnels.checkout.map { $0 })
        #expect(steps.map { $0["count"]?.scalarText } == ["10", "6", "3", "2", "1"])
        #expect(steps.map { $0["drop_off"]?.scalarText } == ["0", "4", "3", "1", "1"])
        #expect(steps.map { $0["drop_off_rate"]?.scalarText } == ["0.0000", "0.4000", "0.5000", "0.3333", "0.5000"])
        #expect(json["checkout"]?["conversion_rate"]?.scalarText == "0.1000")
        #expect(json["registration"]?["conversion_rate"]?.scalarText == "0.2500")
        #expect(json["payment"]?["conversion_rate"]?.scalarText == "0.4000")
        #expect(json["window_start"]?.stringValue == "1970-01-01T00:00:00.000Z")
    }
}
