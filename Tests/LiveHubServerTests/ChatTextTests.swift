import Testing
@testable import LiveHubServer

@Suite("Alert texts in a chat")
struct ChatTextTests {
    let hostile = "@everyone <!channel> <@U123|boss> <https://evil.example|login> *bold* `code` a&b"

    @Test func slackControlCharactersBecomeEntitiesAndNothingLinks() {
        let text = ChatText.slack(hostile)
        for live in ["<!channel>", "<@U123", "<https", "https://", "@everyone", "*bold*", "`code`"] {
            #expect(!text.contains(live), "\(live) is still live in \(text)")
        }
        #expect(text.contains("&lt;!channel&gt;") && text.contains("a&amp;b"))
    }

    @Test func discordMarkdownIsEscapedAndMentionsSplit() {
        let text = ChatText.discord("**x** [a](https://evil.example) @here")
        #expect(!text.contains("**x**") && !text.contains("[a](") && !text.contains("@here") && !text.contains("https://"))
        #expect(text.contains("\\*\\*x\\*\\*"))
    }

    @Test func longTextsAreCut() {
        #expect(ChatText.defanged(String(repeating: "a", count: 5000)).count == ChatText.maxCharacters + 1)
    }
}
