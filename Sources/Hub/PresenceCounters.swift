/// Live counts, kept up to date on every move so reading them never scans the sessions.
public struct PresenceCounters: Sendable, Equatable {
    /// Active sessions per page type (any type, not only those with tiles).
    public private(set) var pages: [String: Int] = [:]
    /// Active sessions per category, from category pages' identifiers.
    public private(set) var categories: [String: Int] = [:]
    /// Active sessions per offer, from offer pages' identifiers.
    public private(set) var offers: [String: Int] = [:]
    public private(set) var totalActive = 0

    public init() {}

    public var homepage: Int { pages[PageType.homepage] ?? 0 }
    public var checkout: Int { pages[PageType.checkout] ?? 0 }
    public var payment: Int { pages[PageType.payment] ?? 0 }
    public var paymentErrors: Int { pages[PageType.paymentError] ?? 0 }

    mutating func sessionStarted() { totalActive += 1 }
    mutating func sessionEnded() { totalActive -= 1 }

    mutating func enter(_ visit: PageVisit) { adjust(visit, by: 1) }
    mutating func leave(_ visit: PageVisit) { adjust(visit, by: -1) }

    private mutating func adjust(_ visit: PageVisit, by delta: Int) {
        Self.bump(&pages, visit.pageType, delta)
        guard let identifier = visit.identifier, !identifier.isEmpty else { return }
        if visit.pageType == PageType.category { Self.bump(&categories, identifier, delta) }
        if visit.pageType == PageType.offer { Self.bump(&offers, identifier, delta) }
    }

    /// Maps hold non-zero entries only.
    private static func bump(_ map: inout [String: Int], _ key: String, _ delta: Int) {
        let value = (map[key] ?? 0) + delta
        map[key] = value == 0 ? nil : value
    }
}
