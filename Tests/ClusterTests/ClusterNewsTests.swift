import Testing
@testable import Cluster
import Hub
import Money
import Records

@Suite("News between nodes, as PostgreSQL carries it")
struct ClusterNewsTests {
    static let news: [ClusterNews] = [
        .presence(node: "node-1"), .claims(node: "127.0.0.1:8081"), .answers(asker: "node-2"),
        .asked(ClusterQuery.Asked(asker: "node-1", id: 3, query: .sessions(.phone("+254 700 000 000")))),
        .balance(ClusterLink.BalanceNotice(userId: "user:with:colons", seq: 12)), .problems(node: "node-3"),
        .alert(node: "127.0.0.1:8082", id: 99), .paymentErrors(node: "node-1"), .erased(node: "node-2", .email("Ann\tTab@shop.test")),
    ]

    @Test(arguments: news)
    func everyNewsSurvivesItsNotification(_ news: ClusterNews) throws {
        let (channel, payload) = news.notification
        #expect(ClusterChannel.all.contains(channel))
        #expect(ClusterNews(channel: channel, payload: payload) == news)
    }

    @Test func theMoneyEnginesChannelsAreTheOnesTheClusterListensOn() {
        // The engine sends from Records until it moves; one spelling drifting would make
        // every node deaf to the others' money.
        #expect(MoneyChannel.balance == ClusterChannel.balance)
        #expect(MoneyChannel.problems == ClusterChannel.problems)
        #expect(MoneyChannel.alert == ClusterChannel.alert)
        #expect(MoneyChannel.paymentErrors == ClusterChannel.paymentErrors)
        #expect(MoneyChannel.erasure == ClusterChannel.erasure)
        #expect(Set(ClusterChannel.all).count == ClusterChannel.all.count)
    }

    @Test(arguments: [("livehub_weather", "sunny"), (ClusterChannel.balance, "nine:user"), (ClusterChannel.alert, "node-1"),
                      (ClusterChannel.erasure, "node-1\tname\tAnn"), (ClusterChannel.query, "node-1\t1\tweather\tnow")])
    func aNotificationThisBuildCannotReadIsLeftOut(_ channel: String, _ payload: String) {
        #expect(ClusterNews(channel: channel, payload: payload) == nil)
    }

    @Test func onlyTheSpeakerOfNewsIsNamedAsItsSender() {
        #expect(ClusterNews.alert(node: "127.0.0.1:8082", id: 1).sender == "127.0.0.1:8082")
        #expect(ClusterNews.answers(asker: "a").sender == nil, "answers are for the asker, not from it")
        #expect(ClusterNews.balance(ClusterLink.BalanceNotice(userId: "u", seq: 1)).sender == nil, "every node hands on every balance")
    }
}
