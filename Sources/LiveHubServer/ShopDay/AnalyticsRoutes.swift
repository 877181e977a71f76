import Auth
import HTTP1
import Hub
import JSON
import Money
import Records

/// The shop's day's routes (README "The shop's day"): a day's figures, a series of a grain,
/// and the goals and custom funnels a shop defines. Reads for sellers, support and admins;
/// definitions by the API key or an admin (audited).
enum AnalyticsRoutes {
    static let readers: RouteAccess = .keyOrToken([.seller, .support, .admin])

    static let entries: [RouteEntry] = [
        RouteEntry(.get, "/api/analytics/day", readers, limitedRead: true) { router, r throws(APIError) in
            let (from, to) = try AnalyticsQuery.day(r.query)
            let currency = Currency(code: router.configuration.currency) ?? Currency(code: "USD")!
            return .money(ReadShopDay(from: from, to: to)) { figures in Router.json(AnalyticsMessages.day(figures, from: from, to: to, shopCurrency: currency)) }
        },
        RouteEntry(.get, "/api/analytics/series", readers, limitedRead: true) { _, r throws(APIError) in
            let series = try AnalyticsQuery.series(r.query)
            return .money(ReadRollupSeries(grain: series.grain, from: series.from, to: series.to, metrics: series.metrics)) { rows in
                Router.json(AnalyticsMessages.series(rows, grain: series.grain, from: series.from, to: series.to, metrics: series.metrics))
            }
        },
        RouteEntry(.get, "/api/analytics/goals", readers, limitedRead: true) { _, _ in
            .money(ReadGoals()) { goals in Router.json(AnalyticsMessages.goalList(goals)) }
        },
        RouteEntry(.put, "/api/analytics/goals/{name}", .keyOrToken([.admin])) { router, r throws(APIError) in
            let name = try AnalyticsQuery.name(r.captures[0])
            let goal = try AnalyticsQuery.goal(named: name, try router.jsonBody(r.request))
            let write = HubCommand.money(SaveGoal(goal)) { saved in Router.json(AnalyticsMessages.goal(saved)) }
            return r.token == nil ? .hub(write) : r.audited(write, "goal_saved", target: name, detail: "\(goal.kind.rawValue) \(goal.target)")
        },
        RouteEntry(.delete, "/api/analytics/goals/{name}", .keyOrToken([.admin])) { _, r throws(APIError) in
            let name = try AnalyticsQuery.name(r.captures[0])
            let path = String(r.head.path)
            let write = HubCommand.money(DeleteGoal(name: name)) { found in
                found ? HTTPResponse(status: .noContent) : APIError.notFound(Substring(path)).response
            }
            return r.token == nil ? .hub(write) : r.audited(write, "goal_deleted", target: name)
        },
        RouteEntry(.get, "/api/analytics/funnels", readers, limitedRead: true) { _, _ in
            .money(ReadCustomFunnels()) { funnels in Router.json(FunnelMessages.list(funnels)) }
        },
        RouteEntry(.put, "/api/analytics/funnels/{id}", .keyOrToken([.admin])) { router, r throws(APIError) in
            let id = try AnalyticsQuery.funnelID(r.captures[0])
            let funnel = try AnalyticsQuery.funnel(id: id, try router.jsonBody(r.request))
            let write = HubCommand.money(SaveFunnel(funnel)) { _ in Router.json(FunnelMessages.one(funnel)) }
            return r.token == nil ? .hub(write) : r.audited(write, "funnel_saved", target: id, detail: funnel.name)
        },
        RouteEntry(.delete, "/api/analytics/funnels/{id}", .keyOrToken([.admin])) { _, r throws(APIError) in
            let id = try AnalyticsQuery.funnelID(r.captures[0])
            let path = String(r.head.path)
            let write = HubCommand.money(DeleteFunnel(id: id)) { left in
                left == nil ? APIError.notFound(Substring(path)).response : HTTPResponse(status: .noContent)
            }
            return r.token == nil ? .hub(write) : r.audited(write, "funnel_deleted", target: id)
        },
        RouteEntry(.get, "/api/analytics/funnels/{id}", readers, limitedRead: true) { _, r throws(APIError) in
            let id = try AnalyticsQuery.funnelID(r.captures[0])
            let (from, to) = try AnalyticsQuery.window(r.query)
            let path = String(r.head.path)
            return .money(ReadFunnelReport(id: id, from: from, to: to)) { found in
                guard let found else { return APIError.notFound(Substring(path)).response }
                return Router.json(FunnelMessages.report(found.funnel, reached: found.reached, from: from, to: to))
            }
        },
    ]
}
