/// One page a session was on: entered, and (once it moved or ended) exited.
public struct PageVisit: Sendable, Equatable {
    public var pageType: PageType
    public var identifier: String?
    public var url: String?
    public var enteredAt: Int64
    public var exitedAt: Int64?

    public var durationSeconds: Double? {
        exitedAt.map { Double($0 - enteredAt) / 1000 }
    }
}

/// What kind of page a visit is on. The storefront names it (`page_type`); the kinds the
/// dashboard has tiles for are named here, and any other is counted under its own name.
/// An open set, so a shop's own page types are kept as they come.
public struct PageType: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public static let homepage: PageType = "homepage"
    public static let category: PageType = "category"
    public static let offer: PageType = "offer"
    public static let checkout: PageType = "checkout"
    public static let payment: PageType = "payment"
    public static let paymentError: PageType = "payment_error"
    public static let paymentSuccess: PageType = "payment_success"
    public static let product: PageType = "product"

    /// Always counted under their own names, however many other names are in use.
    static let withTiles: Set<PageType> = Set(tiles)
    static let tiles: [PageType] = [homepage, category, offer, checkout, payment, paymentError, paymentSuccess, product]

    /// Its place in `tiles`: a few comparisons of short strings, cheaper than hashing one.
    var tileIndex: Int? {
        switch rawValue {
        case "homepage": 0
        case "category": 1
        case "offer": 2
        case "checkout": 3
        case "payment": 4
        case "payment_error": 5
        case "payment_success": 6
        case "product": 7
        default: nil
        }
    }

    /// A page that shows the shop's goods (a visit to one counts as browsing in the checkout funnel).
    public var showsProducts: Bool { self == .category || self == .offer || self == .product }

    public var description: String { rawValue }
}
