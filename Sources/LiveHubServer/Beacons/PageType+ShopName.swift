import Hub

extension PageType {
    /// The names shops write for the pages that have a tile, read as the hub's own
    /// (`data-page-type="home"` is the homepage; README "Page types"); any other name is
    /// kept as written and shows under "Other pages".
    static let aliases: [String: PageType] = [
        "home": .homepage, "index": .homepage, "front": .homepage,
        "pay": .payment,
        "categories": .category, "collection": .category,
        "products": .product, "item": .product,
    ]

    init(shopName: String) {
        self = Self.aliases[shopName.lowercased()] ?? PageType(rawValue: shopName)
    }
}
