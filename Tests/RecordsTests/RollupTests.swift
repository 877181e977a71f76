import Glibc
import Testing
@testable import Hub
@testable import Records

/// The rollups (README "The shop's day"): a minute's counts land in its minute, hour and day
/// rows, counts from several writers (nodes) add up, and each grain is forgotten after its
/// retention.
@Suite("Rollups in the records database")
struct RollupTests {
    private func store() throws -> RecordsStore {
        var template = Array("/tmp/livehub-rollups-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        return try RecordsStore(path: dir + "/livehub.db")
    }

    /// 2026-12-07 10:59 and 11:00 UTC, in minutes since the epoch.
    let lastOfTen: Int64 = 1_796_641_140_000 / 60_000
    var day: Int64 { RollupGrain.day.bucket(of: lastOfTen * 60_000) }

    @Test func countsLandInTheirMinuteHourAndDayAndAddUp() throws {
        let store = try store()
        try store.addRollups(minute: lastOfTen, [.init(metric: "pageviews", key: "", value: 3), .init(metric: "events", key: "cart", value: 1)])
        try store.addRollups(minute: lastOfTen, [.init(metric: "pageviews", key: "", value: 2)])  // another node, the same minute
        try store.addRollups(minute: lastOfTen + 1, [.init(metric: "pageviews", key: "", value: 10)])
        let dayTotals = try store.rollupTotals(.day, from: day, to: day + 86_400_000)
        #expect(dayTotals.first { $0.metric == "pageviews" }?.value == 15)
        #expect(dayTotals.first { $0.metric == "events" && $0.key == "cart" }?.value == 1)
        let hours = try store.rollupSeries(.hour, from: day, to: day + 86_400_000, metrics: ["pageviews"])
        #expect(hours.map(\.value) == [5, 10], "10:00 has the 10:59 counts, 11:00 the next minute's")
        #expect(hours.map(\.bucket) == [(lastOfTen * 60_000) / 3_600_000 * 3_600_000, (lastOfTen + 1) * 60_000])
        let minutes = try store.rollupSeries(.minute, from: lastOfTen * 60_000, to: (lastOfTen + 2) * 60_000, metrics: ["pageviews", "events"])
        #expect(minutes.count == 3 && minutes.map(\.value) == [1, 5, 10])
    }

    @Test func oneMetricsTotalsAreNotCutShortByTheOthers() throws {
        let store = try store()
        try store.addRollups(minute: lastOfTen, (0..<50).map { .init(metric: "events", key: "e\($0)", value: 1) }
            + [.init(metric: "funnel:buy", key: "1", value: 7)])
        let funnel = try store.rollupTotals(.day, from: day, to: day + 86_400_000, metric: "funnel:buy", limit: 1)
        #expect(funnel == [.init(bucket: day, metric: "funnel:buy", key: "1", value: 7)])
    }

    @Test func eachGrainIsForgottenAfterItsRetentionAndDaysStay() throws {
        let store = try store()
        try store.addRollups(minute: lastOfTen, [.init(metric: "visitors", key: "", value: 1)])
        let later = lastOfTen * 60_000 + 100 * 86_400_000
        #expect(try store.pruneRollups(.minute, before: later - 48 * 3_600_000) == 1)
        #expect(try store.pruneRollups(.hour, before: later - 90 * 86_400_000) == 1)
        #expect(try store.rollupTotals(.day, from: day, to: day + 86_400_000).first?.value == 1)
        #expect(try store.rollupTotals(.minute, from: 0, to: later).isEmpty)
    }

    @Test func goalsAndFunnelsReadBackAsSaved() throws {
        let store = try store()
        let funnel = CustomFunnel(id: "buy", name: "Buy it", steps: [.page(type: "product", identifier: "sku 1"), .page(type: "checkout", identifier: nil), .event(name: "paid | ok")])
        #expect(try store.saveFunnel(funnel, now: 0))
        #expect(try store.customFunnels() == [funnel])
        #expect(try store.saveGoal(.init(name: "Cart", kind: .event, target: "add_to_cart"), now: 0))
        #expect(try store.saveGoal(.init(name: "Cart", kind: .pageType, target: "checkout"), now: 0), "saved again: replaced")
        #expect(try store.goals() == [.init(name: "Cart", kind: .pageType, target: "checkout")])
        #expect(try store.deleteGoal("Cart") && !(try store.deleteGoal("Cart")))
        for n in 0..<RecordsStore.maxGoals { #expect(try store.saveGoal(.init(name: "g\(n)", kind: .event, target: "e"), now: 0)) }
        #expect(try !store.saveGoal(.init(name: "one-too-many", kind: .event, target: "e"), now: 0))
        #expect(try store.saveGoal(.init(name: "g0", kind: .pageType, target: "checkout"), now: 1), "one of those held may still be replaced")
        for n in 1..<CustomFunnel.maxFunnels { #expect(try store.saveFunnel(CustomFunnel(id: "f\(n)", name: "F", steps: funnel.steps), now: 0)) }
        #expect(try !store.saveFunnel(CustomFunnel(id: "one-too-many", name: "F", steps: funnel.steps), now: 0))
        #expect(try store.saveFunnel(funnel, now: 1), "one of those held may still be replaced")
    }
}
