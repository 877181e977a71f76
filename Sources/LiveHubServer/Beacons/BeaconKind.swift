/// The tracking events a storefront sends: each has its `/api/metrics/...` path and its
/// `"type"` on `/ws/track` (contract: "Beacons").
enum BeaconKind: String, CaseIterable, Sendable {
    case sessionStart = "session-start"
    case pageVisit = "page-visit"
    case checkoutStart = "checkout-start"
    case paymentStart = "payment-start"
    case paymentError = "payment-error"
    case paymentSuccess = "payment-success"
    case heartbeat
    case sessionEnd = "session-end"
    /// A shop's own event (`LiveHub.track`): a name and a few string properties.
    case event

    /// Where the HTTP beacon of this kind is posted.
    var path: String {
        switch self {
        case .sessionStart: "/api/metrics/session/start"
        case .sessionEnd: "/api/metrics/session/end"
        case .heartbeat: "/api/metrics/heartbeat"
        case .pageVisit, .checkoutStart, .paymentStart, .paymentError, .paymentSuccess, .event: "/api/metrics/track/\(rawValue)"
        }
    }
}
