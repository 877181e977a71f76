import Auth
import Hub
import JSON
import Records

/// What the shop's day's routes read from a query or a body, checked: every refusal a 400
/// that names the field.
enum AnalyticsQuery {
    static let day: Int64 = 86_400_000
    /// A series answers at most this many buckets.
    static let maxBuckets: Int64 = 2_000

    /// `date=YYYY-MM-DD` (UTC), today when absent: the day's start and end.
    static func day(_ query: [String: String]) throws(APIError) -> (Int64, Int64) {
        guard let text = query["date"], !text.isEmpty else {
            let start = RollupGrain.day.bucket(of: UnixTime.seconds * 1000)
            return (start, start + day)
        }
        guard text.utf8.count == 10, let start = Timestamp.parse(text + "T00:00:00Z"), start % day == 0 else {
            throw QueryParameters.invalid("date must be a day such as 2026-12-07")
        }
        return (start, start + day)
    }

    /// `from` and `to` (ISO 8601 times), or a `date`; at most 400 days.
    static func window(_ query: [String: String]) throws(APIError) -> (Int64, Int64) {
        guard query["from"] != nil || query["to"] != nil else { return try day(query) }
        guard let from = try QueryParameters.time(query, "from") else { throw QueryParameters.invalid("from is required with to") }
        let to = try QueryParameters.time(query, "to") ?? UnixTime.seconds * 1000
        guard from < to else { throw QueryParameters.invalid("from must be before to") }
        guard to - from <= 400 * day else { throw QueryParameters.invalid("a window is at most 400 days") }
        return (from, to)
    }

    /// The metrics a series may chart: the unkeyed counts.
    static let seriesMetrics: [RollupMetric] = [.visitors, .sessions, .pageviews, .bots, .paymentErrors, .paid]

    static func series(_ query: [String: String]) throws(APIError) -> (grain: RollupGrain, from: Int64, to: Int64, metrics: [String]) {
        let grainText = query["grain"] ?? "hour"
        guard let grain = RollupGrain(rawValue: grainText) else { throw QueryParameters.invalid("grain must be minute, hour or day") }
        var (from, to) = try window(query)
        from = grain.bucket(of: from)
        guard (to - from + grain.milliseconds - 1) / grain.milliseconds <= maxBuckets else {
            throw QueryParameters.invalid("at most \(maxBuckets) buckets: a shorter window or a larger grain")
        }
        let names = (query["metric"] ?? "pageviews,visitors").split(separator: ",").map(String.init)
        let known = Set(seriesMetrics.map(\.name))
        guard !names.isEmpty, names.count <= seriesMetrics.count, names.allSatisfy(known.contains) else {
            throw QueryParameters.invalid("metric must be a comma-separated list of \(seriesMetrics.map(\.name).joined(separator: ", "))")
        }
        return (grain, from, to, Array(Set(names)).sorted())
    }

    /// A goal's name from its path: 1 to 64 bytes, no control characters.
    static func name(_ captured: Substring) throws(APIError) -> String {
        guard let name = QueryString.percentDecode(captured), !name.isEmpty, name.utf8.count <= 64, BodyFields.isPrintable(name) else {
            throw APIError(.badRequest, code: "invalid_goal", message: "a goal's name is 1 to 64 bytes without control characters")
        }
        return name
    }

    static func funnelID(_ captured: Substring) throws(APIError) -> String {
        let id = String(captured)
        guard CustomFunnel.isValidID(id) else {
            throw APIError(.badRequest, code: "invalid_funnel", message: "a funnel's id is 1 to 40 of a-z, 0-9, _ and -")
        }
        return id
    }

    static func goal(named name: String, _ body: JSONValue) throws(APIError) -> RecordsStore.Goal {
        let fields = try BodyFields(body, errorCode: "invalid_goal")
        try only(["kind", "target"], in: body, fields)
        guard let kind = RecordsStore.Goal.Kind(rawValue: try fields.required("kind", max: 16)) else {
            throw fields.invalid("kind must be event or page_type")
        }
        let target = try fields.required("target", max: 64)
        guard BodyFields.isPrintable(target) else { throw fields.invalid("target may not hold control characters") }
        return RecordsStore.Goal(name: name, kind: kind, target: kind == .pageType ? PageType(shopName: target).rawValue : target)
    }

    static func funnel(id: String, _ body: JSONValue) throws(APIError) -> CustomFunnel {
        let fields = try BodyFields(body, errorCode: "invalid_funnel")
        try only(["name", "steps"], in: body, fields)
        let name = try fields.required("name", max: 128)
        guard BodyFields.isPrintable(name) else { throw fields.invalid("name may not hold control characters") }
        guard case .array(let list)? = body["steps"] else { throw fields.invalid("steps must be an array") }
        guard (CustomFunnel.minSteps...CustomFunnel.maxSteps).contains(list.count) else {
            throw fields.invalid("a funnel has \(CustomFunnel.minSteps) to \(CustomFunnel.maxSteps) steps")
        }
        var steps: [CustomFunnel.Step] = []
        for (index, item) in list.enumerated() {
            let step = try BodyFields(item, errorCode: "invalid_funnel")
            try only(["page_type", "identifier", "event"], in: item, step)
            let page = try step.text("page_type", max: 64), event = try step.text("event", max: 64)
            let identifier = try step.text("identifier", max: 256)
            guard [page, event, identifier].allSatisfy({ $0.map(BodyFields.isPrintable) ?? true }) else {
                throw fields.invalid("steps[\(index)] may not hold control characters")
            }
            switch (page, event) {
            case (let page?, nil): steps.append(.page(type: PageType(shopName: page), identifier: identifier))
            case (nil, let event?) where identifier == nil: steps.append(.event(name: event))
            default: throw fields.invalid("steps[\(index)] is either {\"page_type\", \"identifier\"?} or {\"event\"}")
            }
        }
        return CustomFunnel(id: id, name: name, steps: steps)
    }

    private static func only(_ names: [String], in body: JSONValue, _ fields: BodyFields) throws(APIError) {
        guard case .object(let members) = body else { return }
        if let unknown = members.first(where: { !names.contains($0.0) }) {
            throw fields.invalid("\(unknown.0) is not a field here (its fields: \(names.joined(separator: ", ")))")
        }
    }
}
