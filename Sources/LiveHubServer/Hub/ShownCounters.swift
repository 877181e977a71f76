import Hub

/// The counts sellers see: this node's, plus in cluster mode the other nodes' sum. Kept
/// as the two parts (copies of dictionaries that share storage until written) and merged
/// where they are read: at a broadcast, once per interval, or by a `GET` on its own loop;
/// never on the hub's loop at every change (a merge of two 100-name maps is ~30 µs,
/// `bench/swift` hub-bench).
struct ShownCounters: Sendable {
    var own: PresenceCounters
    var others: PresenceCounters?
    /// The newest change among them (milliseconds since the epoch).
    var updatedAt: Int64

    init(own: PresenceCounters, others: PresenceCounters? = nil, updatedAt: Int64) {
        self.own = own
        self.others = others
        self.updatedAt = updatedAt
    }

    var counters: PresenceCounters {
        guard let others else { return own }
        var sum = own
        sum.add(others)
        return sum
    }

    /// The `live-metrics` object.
    var liveMetrics: [UInt8] { HubMessages.liveMetrics(counters, updatedAt: updatedAt) }
}
