import Hub
import Synchronization

/// What the money side did, for `/metrics`: counted on the hub's loop (and the alert
/// dispatcher, on the same loop), read by any loop under one lock. Money writes are far
/// rarer than beacons, so a lock per write costs nothing that shows.
final class HubMetrics: Sendable {
    /// Upper bounds of the latency buckets, in seconds.
    static let latencyBuckets: [Double] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1]

    struct Histogram: Sendable {
        var counts = [Int](repeating: 0, count: HubMetrics.latencyBuckets.count)
        var sum = 0.0
        var count = 0

        mutating func observe(_ seconds: Double) {
            if let i = HubMetrics.latencyBuckets.firstIndex(where: { seconds <= $0 }) { counts[i] += 1 }
            sum += seconds
            count += 1
        }
    }

    struct State: Sendable {
        var ledgerWrites: [LedgerTransaction.Kind: Int] = [:]
        var balancePushes = 0
        var paymentEvents: [Payment.Stage: Int] = [:]
        var webhookDeliveries: [String: Int] = [:]  // "provider\u{0}status"
        var webhooksNotStored: [String: Int] = [:]
        var alertDeliveries: [AlertDeliveryOutcome: Int] = [:]
        var commits = Histogram()
        var committedWrites = 0
    }

    private let state = Mutex(State())

    func ledgerWrite(_ kind: LedgerTransaction.Kind) { state.withLock { $0.ledgerWrites[kind, default: 0] += 1 } }
    func balancePush() { state.withLock { $0.balancePushes += 1 } }
    func paymentEvent(_ stage: Payment.Stage) { state.withLock { $0.paymentEvents[stage, default: 0] += 1 } }
    func webhookDelivery(provider: String, status: WebhookLogEntry.Status) {
        state.withLock { $0.webhookDeliveries[provider + "\u{0}" + status.rawValue, default: 0] += 1 }
    }
    func webhookNotStored(provider: String) { state.withLock { $0.webhooksNotStored[provider, default: 0] += 1 } }
    /// What one delivery attempt of an alert came to (`livehub_alert_deliveries_total`).
    enum AlertDeliveryOutcome: String, Sendable {
        case sent, failed, retried
        case notConfigured = "not_configured"
    }

    func alertDelivery(_ outcome: AlertDeliveryOutcome) { state.withLock { $0.alertDeliveries[outcome, default: 0] += 1 } }
    func commit(writes: Int, seconds: Double) {
        state.withLock {
            $0.commits.observe(seconds)
            $0.committedWrites += writes
        }
    }

    func render(openProblems: [Payment.Problem: Int]) -> String {
        let s = state.withLock { $0 }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) { out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n" }
        family("livehub_ledger_writes_total", "counter", "Ledger transactions recorded, by type.")
        for kind in LedgerTransaction.Kind.allCases { out += "livehub_ledger_writes_total{type=\"\(kind.rawValue)\"} \(s.ledgerWrites[kind] ?? 0)\n" }
        family("livehub_balance_pushes_total", "counter", "balance_update messages sent to balance rooms (one per ledger write).")
        out += "livehub_balance_pushes_total \(s.balancePushes)\n"
        family("livehub_payment_events_total", "counter", "Payment stage reports applied (API and webhooks), by stage.")
        for stage in Payment.Stage.allCases { out += "livehub_payment_events_total{stage=\"\(stage.rawValue)\"} \(s.paymentEvents[stage] ?? 0)\n" }
        family("livehub_open_payment_problems", "gauge", "Payments support must look at now, by kind (gap: confirmed, not credited; unmatched: not ours; amount_mismatch: not what the shop asked).")
        for problem in Payment.Problem.allCases {
            out += "livehub_open_payment_problems{kind=\"\(problem.rawValue)\"} \(openProblems[problem] ?? 0)\n"
        }
        family("livehub_webhook_deliveries_total", "counter", "Provider webhook deliveries, by provider and outcome.")
        for (key, count) in s.webhookDeliveries.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "\u{0}", maxSplits: 1).map(String.init)
            out += "livehub_webhook_deliveries_total{provider=\(PrometheusExporter.quoted(parts[0])),outcome=\"\(parts[1])\"} \(count)\n"
        }
        family("livehub_webhook_unverified_not_stored_total", "counter",
               "Deliveries that failed verification past the log's hourly budget per provider: counted, not stored.")
        for (provider, count) in s.webhooksNotStored.sorted(by: { $0.key < $1.key }) {
            out += "livehub_webhook_unverified_not_stored_total{provider=\(PrometheusExporter.quoted(provider))} \(count)\n"
        }
        family("livehub_alert_deliveries_total", "counter", "Outgoing alert webhooks, by outcome.")
        for (outcome, count) in s.alertDeliveries.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { out += "livehub_alert_deliveries_total{outcome=\"\(outcome.rawValue)\"} \(count)\n" }
        histogram("livehub_records_commit_seconds", "Time of one records-database transaction, from BEGIN to COMMIT (a batch with --fsync batch, one write with always).", s.commits, into: &out)
        family("livehub_records_committed_writes_total", "counter", "Money writes committed to the records database.")
        out += "livehub_records_committed_writes_total \(s.committedWrites)\n"
        return out
    }

    private func histogram(_ name: String, _ help: String, _ h: Histogram, into out: inout String) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        var cumulative = 0
        for (i, bound) in Self.latencyBuckets.enumerated() {
            cumulative += h.counts[i]
            out += "\(name)_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{le=\"+Inf\"} \(h.count)\n\(name)_sum \(h.sum)\n\(name)_count \(h.count)\n"
    }
}
