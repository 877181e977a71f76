/// Live counts, kept up to date on every move so reading them never scans the sessions.
///
/// Page types, categories and offers are free text from anonymous browsers, so each map
/// holds at most `maxKeys` names (the tile page types always have theirs); sessions on any
/// other name are counted under `"other"`. A session leaving a name that has no entry
/// leaves `"other"`: every session counted under `"other"` is on a name without its own
/// entry, so no count goes negative and the totals stay exact.
public struct PresenceCounters: Sendable, Equatable {
    /// The key that counts sessions on names beyond `maxKeys`.
    public static let otherKey = "other"
    /// Distinct names per map, `"other"` included.
    public let maxKeys: Int
    /// Active sessions per page type (any type, not only those with tiles).
    public internal(set) var pages: [String: Int] = [:]
    /// Active sessions per category, from category pages' identifiers.
    public internal(set) var categories: [String: Int] = [:]
    /// Active sessions per offer, from offer pages' identifiers.
    public internal(set) var offers: [String: Int] = [:]
    public internal(set) var totalActive = 0

    public init(maxKeys: Int = 100) {
        self.maxKeys = max(2, maxKeys)
    }

    public var homepage: Int { pages[PageType.homepage.rawValue] ?? 0 }
    public var checkout: Int { pages[PageType.checkout.rawValue] ?? 0 }
    public var payment: Int { pages[PageType.payment.rawValue] ?? 0 }
    public var paymentErrors: Int { pages[PageType.paymentError.rawValue] ?? 0 }

    mutating func sessionStarted() { totalActive += 1 }
    mutating func sessionEnded() { totalActive -= 1 }

    mutating func enter(_ visit: PageVisit) { adjust(visit, by: 1) }
    mutating func leave(_ visit: PageVisit) { adjust(visit, by: -1) }

    private mutating func adjust(_ visit: PageVisit, by delta: Int) {
        // Static, with `maxKeys` passed in: an instance method would read `self` while a map
        // of it is borrowed inout, and that copy of `self` would make every bump copy the map.
        let maxKeys = maxKeys
        Self.bump(&pages, visit.pageType.rawValue, delta, maxKeys: maxKeys, tilesKeepTheirNames: true)
        guard let identifier = visit.identifier, !identifier.isEmpty else { return }
        if visit.pageType == .category { Self.bump(&categories, identifier, delta, maxKeys: maxKeys, tilesKeepTheirNames: false) }
        if visit.pageType == .offer { Self.bump(&offers, identifier, delta, maxKeys: maxKeys, tilesKeepTheirNames: false) }
    }

    /// Maps hold non-zero entries only. A name without an entry gets one while the map
    /// has room (one place is kept for `"other"`); a page type with a tile always does.
    private static func bump(_ map: inout [String: Int], _ key: String, _ delta: Int, maxKeys: Int, tilesKeepTheirNames: Bool) {
        // One hash of the key for the usual case, a name already counted.
        if let index = map.index(forKey: key) {
            let value = map.values[index] + delta
            if value == 0 { map.remove(at: index) } else { map.values[index] = value }
            return
        }
        let hasRoom = delta > 0 && map.count < maxKeys - (map[otherKey] == nil ? 1 : 0)
        let name = hasRoom || (tilesKeepTheirNames && PageType.withTiles.contains(PageType(rawValue: key))) ? key : otherKey
        let value = (map[name] ?? 0) + delta
        map[name] = value == 0 ? nil : value
    }
}
