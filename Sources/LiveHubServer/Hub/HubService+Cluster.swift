import Cluster
import Hub
import Reactor

/// Cluster mode: what the hub's owner shares with the other nodes through `ClusterLink`
/// (its counts and the sessions it takes) and what it hears from them (their counts, the
/// sessions they took, the payment errors they recorded).
extension HubService {
    /// Cluster mode: this node's counts go to the other nodes from now on.
    func join(_ cluster: ClusterLink) {
        self.cluster = cluster
        hub.announcesClaims = true
        cluster.start()
        publishToCluster()
        handOverAllMinutes()
    }

    func publishToCluster() {
        guard let cluster else { return }
        // The minute now open and the one before (its last version), so that every minute
        // this node is up gets a row, quiet ones too.
        if EventLoop.now &- minutesHandedAt >= Self.minutesHandOverInterval {
            minutesHandedAt = EventLoop.now
            cluster.record(minutes: hub.historyPoints(minutes: 2))
        }
        let batch = hub.claimBatch
        let claims = hub.takeClaims()
        if !claims.isEmpty { cluster.claim(claims, batch: batch) }
        guard hub.version != clusterVersion else { return }
        clusterVersion = hub.version
        clusterPublishedAt = EventLoop.now
        cluster.publish(hub.counters, updatedAt: hub.updatedAt)
    }

    /// A change goes to the other nodes at once, at most once per broadcast interval (not
    /// at this node's next tick): their sellers see it within one of their intervals.
    func publishToClusterSoon() {
        guard cluster != nil, !clusterPublishScheduled, hub.version != clusterVersion else { return }
        let due = clusterPublishedAt + context.configuration.broadcastInterval.nanoseconds
        let now = EventLoop.now
        guard due > now else { return publishToCluster() }
        clusterPublishScheduled = true
        context.loop.schedule(afterNanoseconds: due - now) { [unowned self] in
            clusterPublishScheduled = false
            publishToCluster()
        }
    }

    /// The other nodes' counts changed (read from the database).
    func othersChanged(_ others: ClusterLink.Others) {
        self.others = others
        othersVersion &+= 1
        schedulePublish()
    }

    /// Payment errors another node recorded: this node's sellers get them with their next
    /// update, and its API lists them.
    func paymentErrorsFromElsewhere(_ records: [PaymentErrorRecord]) {
        hub.paymentErrorsFromElsewhere(records)
        markErrorsChanged()
    }

    /// Another node took these sessions: they leave this one (but those it took since), a
    /// slice per turn, so a node back in a large cluster, which reads every claim made
    /// while it was away, goes on answering meanwhile.
    func released(_ sessions: [String], claimsWritten: UInt32) {
        released(sessions[...], claimsWritten: claimsWritten)
    }

    private func released(_ sessions: ArraySlice<String>, claimsWritten: UInt32) {
        let end = sessions.index(sessions.startIndex, offsetBy: Self.releaseSlice, limitedBy: sessions.endIndex) ?? sessions.endIndex
        if hub.release(sessions[..<end], claimsWritten: claimsWritten) > 0 { schedulePublish() }
        guard end < sessions.endIndex else { return }
        context.loop.schedule(afterNanoseconds: 0) { [unowned self] in released(sessions[end...], claimsWritten: claimsWritten) }
    }

    /// About 10 ms of releases on this machine (2.6 µs each, `bench/cluster_start.py`).
    static let releaseSlice = 4_000

    /// How often this node's open minute goes to the others' charts.
    static let minutesHandOverInterval: UInt64 = 5_000_000_000

    /// Every minute this node keeps (after a start, or the database came back and may have
    /// lost or missed some).
    func handOverAllMinutes() {
        minutesHandedAt = EventLoop.now
        cluster?.record(minutes: hub.historyPoints(minutes: hub.history.capacity))
    }

    /// Minutes another node wrote: its part of the chart.
    func minutesFromElsewhere(_ minutes: [ClusterLink.NodeMinute]) {
        for minute in minutes { clusterHistory.record(node: minute.node, minute.point) }
        clusterHistory.forget(before: MetricsHistory.minute(of: clock.nowMilliseconds))
    }

    /// Stops sharing (shutdown): this node's row leaves the others' totals now.
    func leaveCluster() {
        cluster?.stop()
        cluster = nil
    }
}
