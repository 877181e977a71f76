import Hub
import Synchronization

/// `/metrics` for reconciliation: questions to the providers' APIs by provider and
/// outcome, their time, and the payments their answers moved.
final class ReconcileMetrics: Sendable {
    private struct State {
        var calls: [String: Int] = [:]  // "provider\u{0}outcome"
        var seconds: [String: (sum: Double, count: Int)] = [:]
        var moved: [String: Int] = [:]
    }

    private let state = Mutex(State())

    /// `outcome`: a check's (`ProviderCheck.Outcome`), or `listed` for a page of a list.
    func call(provider: String, outcome: String, seconds: Double) {
        state.withLock {
            $0.calls[provider + "\u{0}" + outcome, default: 0] += 1
            let old = $0.seconds[provider] ?? (0, 0)
            $0.seconds[provider] = (old.sum + seconds, old.count + 1)
        }
    }

    func moved(_ word: String) { state.withLock { $0.moved[word, default: 0] += 1 } }

    func render() -> String {
        let s = state.withLock { $0 }
        var out = "# HELP livehub_provider_calls_total Questions to the providers' APIs, by provider and outcome.\n# TYPE livehub_provider_calls_total counter\n"
        for (key, count) in s.calls.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "\u{0}", maxSplits: 1).map(String.init)
            out += "livehub_provider_calls_total{provider=\"\(parts[0])\",outcome=\"\(parts.count > 1 ? parts[1] : "")\"} \(count)\n"
        }
        out += "# HELP livehub_provider_call_seconds Time of the questions to each provider's API, answered or not.\n# TYPE livehub_provider_call_seconds summary\n"
        for (provider, value) in s.seconds.sorted(by: { $0.key < $1.key }) {
            out += "livehub_provider_call_seconds_sum{provider=\"\(provider)\"} \(value.sum)\n"
            out += "livehub_provider_call_seconds_count{provider=\"\(provider)\"} \(value.count)\n"
        }
        out += "# HELP livehub_reconciled_payments_total Payments a provider's answer moved (to paid, failed, unmatched).\n# TYPE livehub_reconciled_payments_total counter\n"
        for word in ["paid", "failed", "unmatched"] {
            out += "livehub_reconciled_payments_total{to=\"\(word)\"} \(s.moved[word] ?? 0)\n"
        }
        return out
    }
}
