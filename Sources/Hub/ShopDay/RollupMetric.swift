/// What the shop's day counts (the `metric` of a rollup row). Keyed metrics count per name
/// (`key`): a page type, a referrer host, an event's name; the others have the empty key.
public enum RollupMetric: UInt8, Sendable, CaseIterable {
    /// Sessions first seen in the day, bots left out (a session seen on two days counts on each).
    case visitors
    /// Sessions started or come back, bots left out.
    case sessions
    case pageviews
    /// Sessions whose User-Agent says a robot, counted once a day.
    case bots
    case paymentErrors
    case paid
    /// Keyed by page type.
    case pageviewsByType
    /// Keyed by the page's path (no query, no fragment).
    case pageviewsByPath
    /// Keyed by page type: sessions that visited one, once each a day.
    case pageVisitors
    /// Keyed by page type: milliseconds a visible, focused tab spent on one.
    case engagedMilliseconds
    /// Keyed by page type: where sessions ended.
    case exits
    /// Keyed by the step a session that began a checkout ended at without paying.
    case abandoned
    /// Keyed by referrer host, `(direct)` for none; once per visitor a day.
    case sources
    case utmSources
    case utmMediums
    case utmCampaigns
    /// Keyed by `DeviceClass.name`, once per session a day (bots included).
    case devices
    /// Keyed by the event's name.
    case events
    /// Keyed by the event's name: sessions that sent one, once each a day.
    case eventSessions
    /// Keyed by `name|prop=value`.
    case eventProps

    public var name: String {
        switch self {
        case .visitors: "visitors"
        case .sessions: "sessions"
        case .pageviews: "pageviews"
        case .bots: "bots"
        case .paymentErrors: "payment_errors"
        case .paid: "paid"
        case .pageviewsByType: "pageviews_by_type"
        case .pageviewsByPath: "pageviews_by_path"
        case .pageVisitors: "page_visitors"
        case .engagedMilliseconds: "engaged_ms"
        case .exits: "exits"
        case .abandoned: "abandoned"
        case .sources: "sources"
        case .utmSources: "utm_sources"
        case .utmMediums: "utm_mediums"
        case .utmCampaigns: "utm_campaigns"
        case .devices: "devices"
        case .events: "events"
        case .eventSessions: "event_sessions"
        case .eventProps: "event_props"
        }
    }

    /// The metrics before this raw value have no key (`visitors` … `paid`).
    static let unkeyedCount = 6

    /// The prefix of a custom funnel's metric: `funnel:<id>`, keyed by the step reached (1…).
    public static let funnelPrefix = "funnel:"
}
