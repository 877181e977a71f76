import Hub

extension ClusterLink.Others {
    /// The other nodes' rows summed, the stale ones left out: a row not refreshed within
    /// `freshness` (milliseconds, by the broker's clock) is a node that died or lost the
    /// medium, and its sessions are no longer anyone's to count. A row whose counts this
    /// build cannot read is left out too (a newer node's format).
    init(summing rows: [ClusterNodeRow], freshness: Int64, maxKeys: Int) {
        self.init(counters: PresenceCounters(maxKeys: maxKeys), nodes: [], updatedAt: 0)
        for row in rows where row.age < freshness {
            guard let counters = PresenceCounters(encoded: row.counters, maxKeys: maxKeys) else { continue }
            self.counters.add(counters)
            nodes.append(row.node)
            updatedAt = max(updatedAt, row.changedAt)
        }
    }

    /// Nothing is known of the others: the medium has been away longer than `freshness`.
    static func unknown(maxKeys: Int, updatedAt: Int64) -> Self {
        Self(counters: PresenceCounters(maxKeys: maxKeys), nodes: [], updatedAt: updatedAt, known: false)
    }
}
