import Cluster
import Hub
import Money
import Records

/// Funnel steps (README "Activity and funnels"): an actor counts at a step once it did
/// that step's action successfully within the window and reached every step before it.
enum Funnels {
    static let registration = ["registration_started", "registration_completed", "email_verified", "first_login"]
    /// Checkout steps, from the storefront's beacons alone.
    static let checkout = ["session_started", "browsed_products", "checkout_started", "payment_started", "payment_succeeded"]
    /// Payment steps, from the payment flow.
    static let payment = ["initialized", "confirmed_by_provider", "credited"]
}

extension HubService {
    /// Funnels need both sides: the checkout steps from the sessions here, then the
    /// registration and payment steps from the records database; the reply goes straight
    /// from the money engine to the caller's loop.
    func forwardFunnels(since: Int64, replyTo: ReplyAddress) {
        // Cluster mode: every node's sessions (a node that does not answer in time is left out).
        askCluster(.checkoutFunnel(since: since)) { [unowned self] answers, _ in
            var checkout = checkoutFunnel(since: since)
            for body in answers.values {
                guard let counts = ClusterQuery.counts(body, steps: checkout.count) else { continue }
                for step in checkout.indices { checkout[step] += counts[step] }
            }
            money.submit(ReadFunnels(since: since, registration: Funnels.registration)) { [checkout] result in
                replyTo.send(.funnels(FunnelsFound(since: since, checkout: checkout, records: result)))
            }
        }
    }

    /// The checkout funnel as the hub counts it while sessions move (`PresenceHub.checkoutFunnel`),
    /// from the start of `since`'s minute: no session is read.
    func checkoutFunnel(since: Int64) -> [Int] {
        hub.checkoutFunnel(since: since)
    }
}
