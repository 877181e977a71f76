import HTTPClient
import Hub
import JSON
import Testing
@testable import LiveHubServer

@Suite("Alert webhook payloads")
struct AlertPayloadTests {
    let alert = Alert(id: 7, kind: .largeDeduction, title: "Large deduction", message: "60.00 was deducted from user dave.",
                      userId: "dave", reference: "big-1", createdAt: 1_795_000_000_000)

    @Test func slackURLsGetTextAndEveryOtherURLGetsDiscordsShape() throws {
        #expect(AlertDispatcher.isSlack(try #require(OutgoingURL("https://hooks.slack.com/services/T/B/x"))))
        #expect(!AlertDispatcher.isSlack(try #require(OutgoingURL("https://discord.com/api/webhooks/1/abc"))))
        #expect(!AlertDispatcher.isSlack(try #require(OutgoingURL("https://notslack.com/hook"))))

        let slack = try JSONParser.parse(AlertDispatcher.payload(alert, slack: true))
        guard case .object(let slackFields) = slack else { Issue.record("not an object"); return }
        #expect(slackFields.map(\.0) == ["text"])
        #expect(slack["text"]?.stringValue?.contains("Large deduction") == true)

        let discord = try JSONParser.parse(AlertDispatcher.payload(alert, slack: false))
        #expect(discord["content"]?.stringValue == "**Large deduction**: 60.00 was deducted from user dave.")
        guard case .array(let embeds)? = discord["embeds"], let embed = embeds.first else { Issue.record("no embeds"); return }
        #expect(embed["title"]?.stringValue == "Large deduction")
        #expect(embed["timestamp"]?.stringValue == Timestamp.iso8601(milliseconds: alert.createdAt))
        // The alert names its user and reference.
        #expect(embed.serialized.contains("user dave") && embed.serialized.contains("reference big-1"))
    }
}
