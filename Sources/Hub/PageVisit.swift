/// One page a session was on: entered, and (once it moved or ended) exited.
public struct PageVisit: Sendable, Equatable {
    public var pageType: String
    public var identifier: String?
    public var url: String?
    public var enteredAt: Int64
    public var exitedAt: Int64?

    public var durationSeconds: Double? {
        exitedAt.map { Double($0 - enteredAt) / 1000 }
    }
}

/// Page types with tiles on the dashboard; any other `page_type` is counted under its
/// own name in `pages`.
public enum PageType {
    public static let homepage = "homepage"
    public static let category = "category"
    public static let offer = "offer"
    public static let checkout = "checkout"
    public static let payment = "payment"
    public static let paymentError = "payment_error"
    public static let paymentSuccess = "payment_success"
    public static let product = "product"

    /// Always counted under their own names, however many other names are in use.
    static let withTiles: Set<String> = [homepage, category, offer, checkout, payment, paymentError, paymentSuccess, product]
}
