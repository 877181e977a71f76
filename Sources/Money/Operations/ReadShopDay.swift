import Hub
import Records

/// `GET /api/analytics/day`: a day's rollups summed per metric and key, the goals they are
/// read against, and the revenue per currency of the payments confirmed in it.
public struct ReadShopDay: MoneyReadOperation {
    public typealias Reply = ShopDayFigures

    public var from: Int64
    public var to: Int64

    public init(from: Int64, to: Int64) {
        self.from = from
        self.to = to
    }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> ShopDayFigures {
        ShopDayFigures(counts: ShopDayFigures.counts(try store.rollupTotals(.day, from: from, to: to)),
                       goals: try store.goals(), revenue: try store.revenue(from: from, to: to))
    }
}

/// What a day's report is made of.
public struct ShopDayFigures: Sendable {
    /// Per metric, per key, the sum.
    public var counts: [String: [String: Int64]]
    public var goals: [RecordsStore.Goal]
    public var revenue: [(currency: String, amount: Int64)]

    public func total(_ metric: RollupMetric, _ key: String = "") -> Int64 { counts[metric.name]?[key] ?? 0 }

    /// A keyed metric's entries, largest first (then by key).
    public func ranked(_ metric: RollupMetric) -> [(key: String, value: Int64)] {
        (counts[metric.name] ?? [:]).map { ($0.key, $0.value) }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
    }

    static func counts(_ rows: [RecordsStore.RollupRow]) -> [String: [String: Int64]] {
        var counts: [String: [String: Int64]] = [:]
        for row in rows { counts[row.metric, default: [:]][row.key, default: 0] += row.value }
        return counts
    }
}

/// `GET /api/analytics/series`: metrics per bucket of a grain.
public struct ReadRollupSeries: MoneyReadOperation {
    public typealias Reply = [RecordsStore.RollupRow]

    public var grain: RollupGrain
    public var from: Int64
    public var to: Int64
    public var metrics: [String]

    public init(grain: RollupGrain, from: Int64, to: Int64, metrics: [String]) {
        self.grain = grain
        self.from = from
        self.to = to
        self.metrics = metrics
    }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> [RecordsStore.RollupRow] {
        try store.rollupSeries(grain, from: from, to: to, metrics: metrics)
    }
}
