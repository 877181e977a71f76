import Hub
import JSON
import Money
import Records

/// The JSON of the shop's day (README "The shop's day"). Every name in it came from a
/// browser: the console renders it as text.
enum AnalyticsMessages {
    /// Entries listed per keyed metric (the hub admits at most `--max-tracked-keys` a day).
    static let listed = 100

    static func day(_ figures: ShopDayFigures, from: Int64, to: Int64, shopCurrency: Currency) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("date", String(Timestamp.iso8601(milliseconds: from).prefix(10)))
        json.field("from", Timestamp.iso8601(milliseconds: from))
        json.field("to", Timestamp.iso8601(milliseconds: to))
        for metric in [RollupMetric.visitors, .sessions, .pageviews, .bots, .paymentErrors, .paid] {
            json.field(metric.name, Int(figures.total(metric)))
        }
        list(&json, "top_pages", figures.ranked(.pageviewsByPath), name: "page", value: "pageviews")
        pageTypes(&json, figures)
        list(&json, "sources", figures.ranked(.sources), name: "source", value: "visitors")
        list(&json, "utm_sources", figures.ranked(.utmSources), name: "value", value: "visitors")
        list(&json, "utm_mediums", figures.ranked(.utmMediums), name: "value", value: "visitors")
        list(&json, "utm_campaigns", figures.ranked(.utmCampaigns), name: "value", value: "visitors")
        list(&json, "devices", figures.ranked(.devices), name: "device", value: "visitors")
        json.key("events")
        json.beginArray()
        for (name, count) in figures.ranked(.events).prefix(listed) {
            json.beginObject()
            json.field("name", name)
            json.field("count", Int(count))
            json.field("sessions", Int(figures.total(.eventSessions, name)))
            json.endObject()
        }
        json.endArray()
        goals(&json, figures)
        json.key("abandoned_checkout")
        json.beginObject()
        for step in ["checkout", "payment", "payment_error"] { json.field(step, Int(figures.total(.abandoned, step))) }
        json.endObject()
        json.key("revenue")
        json.beginArray()
        for (code, amount) in figures.revenue.sorted(by: { ($0.currency == shopCurrency.code ? 0 : 1, $0.currency) < ($1.currency == shopCurrency.code ? 0 : 1, $1.currency) }) {
            json.beginObject()
            json.field("currency", code)
            // An exact decimal written from integer minor units, as every amount the API gives.
            json.key("amount"); json.raw(Currency(code: code).map { $0.text(Money(minorUnits: amount)) } ?? String(amount))
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.bytes
    }

    private static func list(_ json: inout JSONWriter, _ field: String, _ entries: [(key: String, value: Int64)], name: String, value: String) {
        json.key(field)
        json.beginArray()
        for (key, count) in entries.prefix(listed) {
            json.beginObject()
            json.field(name, key)
            json.field(value, Int(count))
            json.endObject()
        }
        json.endArray()
    }

    private static func pageTypes(_ json: inout JSONWriter, _ figures: ShopDayFigures) {
        json.key("page_types")
        json.beginArray()
        for (type, views) in figures.ranked(.pageviewsByType).prefix(listed) {
            let engaged = figures.total(.engagedMilliseconds, type)
            json.beginObject()
            json.field("page_type", type)
            json.field("pageviews", Int(views))
            json.field("visitors", Int(figures.total(.pageVisitors, type)))
            json.key("engaged_seconds"); json.raw(seconds(engaged))
            json.key("avg_engaged_seconds"); json.raw(seconds(views > 0 ? engaged / views : 0))
            json.field("exits", Int(figures.total(.exits, type)))
            json.endObject()
        }
        json.endArray()
    }

    private static func goals(_ json: inout JSONWriter, _ figures: ShopDayFigures) {
        let visitors = figures.total(.visitors)
        json.key("goals")
        json.beginArray()
        for goal in figures.goals {
            let conversions = goal.kind == .event ? figures.total(.eventSessions, goal.target) : figures.total(.pageVisitors, goal.target)
            json.beginObject()
            goalFields(&json, goal)
            json.field("conversions", Int(conversions))
            json.key("rate"); json.raw(ratio(conversions, visitors))
            json.endObject()
        }
        json.endArray()
    }

    static func goalFields(_ json: inout JSONWriter, _ goal: RecordsStore.Goal) {
        json.field("name", goal.name)
        json.field("kind", goal.kind.rawValue)
        json.field("target", goal.target)
    }

    static func goalList(_ goals: [RecordsStore.Goal]) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.key("goals")
        json.beginArray()
        for goal in goals {
            json.beginObject()
            goalFields(&json, goal)
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.bytes
    }

    static func goal(_ goal: RecordsStore.Goal) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        goalFields(&json, goal)
        json.endObject()
        return json.bytes
    }

    /// Milliseconds as seconds with one decimal ("12.3"), from integers.
    static func seconds(_ milliseconds: Int64) -> String {
        let tenths = milliseconds / 100
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// A share from 0 to 1 with four decimals, from integers.
    static func ratio(_ part: Int64, _ whole: Int64) -> String {
        guard whole > 0 else { return "0" }
        let scaled = min(part, whole) * 10_000 / whole
        return scaled == 10_000 ? "1" : "0.\(String(repeating: "0", count: 4 - String(scaled).count))\(scaled)"
    }

    static func series(_ rows: [RecordsStore.RollupRow], grain: RollupGrain, from: Int64, to: Int64, metrics: [String]) -> [UInt8] {
        var byBucket: [Int64: [String: Int64]] = [:]
        for row in rows { byBucket[row.bucket, default: [:]][row.metric, default: 0] += row.value }
        var json = JSONWriter()
        json.beginObject()
        json.field("grain", grain.rawValue)
        json.key("points")
        json.beginArray()
        var bucket = grain.bucket(of: from)
        while bucket < to {
            json.beginObject()
            json.field("at", Timestamp.iso8601(milliseconds: bucket))
            for metric in metrics { json.field(metric, Int(byBucket[bucket]?[metric] ?? 0)) }
            json.endObject()
            bucket += grain.milliseconds
        }
        json.endArray()
        json.endObject()
        return json.bytes
    }
}
