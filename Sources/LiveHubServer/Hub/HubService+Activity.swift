import Cluster
import HTTP1
import Hub
import JSON
import Money
import Reactor
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
    /// registration and payment steps from the records database; the answer goes straight
    /// from the money engine to the caller's loop.
    func forwardFunnels(since: Int64, token: UInt64, to origin: EventLoopHandle) {
        // Cluster mode: every node's sessions (a node that does not answer in time is left out).
        askCluster(.checkoutFunnel(since: since)) { [unowned self] answers, _ in
            var checkout = checkoutFunnel(since: since)
            for body in answers.values {
                guard let counts = ClusterQuery.counts(body, steps: checkout.count) else { continue }
                for step in checkout.indices { checkout[step] += counts[step] }
            }
            forwardFunnels(since: since, checkout: checkout, token: token, to: origin)
        }
    }

    private func forwardFunnels(since: Int64, checkout: [Int], token: UInt64, to origin: EventLoopHandle) {
        let contexts = context.shared.contexts
        money.submit(ReadFunnels(since: since, registration: Funnels.registration)) { result in
            origin.execute { loop in
                guard let client = contexts[loop]?.hubClient else { return }
                switch result {
                case .success(let counts): client.deliver([(token, Self.funnelsAnswer(counts, since: since, checkout: checkout))])
                case .failure(let failure): client.deliver([(token, failure.response)])
                }
            }
        }
    }

    /// The checkout funnel as the hub counts it while sessions move (`PresenceHub.checkoutFunnel`),
    /// from the start of `since`'s minute: no session is read.
    func checkoutFunnel(since: Int64) -> [Int] {
        hub.checkoutFunnel(since: since)
    }

    static func funnelsAnswer(_ counts: FunnelCounts, since: Int64, checkout: [Int]) -> HTTPResponse {
        var json = JSONWriter()
        json.beginObject()
        json.field("window_start", Timestamp.iso8601(milliseconds: since))
        json.key("registration")
        writeFunnel(Funnels.registration, counts: counts.registration, into: &json)
        json.key("checkout")
        writeFunnel(Funnels.checkout, counts: checkout, into: &json)
        json.key("payment")
        writeFunnel(Funnels.payment, counts: counts.payment, into: &json)
        json.endObject()
        return MoneyAnswers.json(.ok, json.bytes)
    }

    /// `{"steps": [{step, count, drop_off, drop_off_rate}], "conversion_rate"}`: drop-off is
    /// how many of the step before did not reach this one.
    private static func writeFunnel(_ names: [String], counts: [Int], into json: inout JSONWriter) {
        json.beginObject()
        json.key("steps")
        json.beginArray()
        for (i, name) in names.enumerated() {
            json.beginObject()
            json.field("step", name)
            json.field("count", counts[i])
            let before = i == 0 ? counts[i] : counts[i - 1]
            json.field("drop_off", before - counts[i])
            json.key("drop_off_rate"); json.raw(Self.ratio(before - counts[i], before))
            json.endObject()
        }
        json.endArray()
        json.key("conversion_rate"); json.raw(Self.ratio(counts.last ?? 0, counts.first ?? 0))
        json.endObject()
    }

    /// A share as a decimal with four places, from integers (no float).
    static func ratio(_ part: Int, _ whole: Int) -> String {
        guard whole > 0 else { return "0" }
        let tenThousandths = (part * 10_000 + whole / 2) / whole
        let fraction = String(tenThousandths % 10_000)
        return "\(tenThousandths / 10_000)." + String(repeating: "0", count: 4 - fraction.count) + fraction
    }
}
