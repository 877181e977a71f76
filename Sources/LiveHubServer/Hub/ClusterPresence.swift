import Cluster
import Hub
import Reactor

/// The cluster's presence, on the hub's loop: what this node shares with the others through
/// `ClusterLink` (its counts, the sessions it takes, its minutes) and what it hears from
/// them (their counts and minutes, the sessions they took, the payment errors they
/// recorded, their questions and answers: `ClusterPresence+Questions`). Outside cluster
/// mode it holds no link and the others are nobody.
/// Its inbox: `Message`, from the link's thread and the money engine's news.
final class ClusterPresence {
    /// What reaches the cluster's presence from another thread (`HubInbox.cluster`).
    enum Message: Sendable {
        /// The other nodes' counts changed (read from the database).
        case othersChanged(ClusterLink.Others)
        /// Another node took these sessions (`released(_:claimsWritten:)`).
        case released([String], claimsWritten: UInt32)
        /// Minutes the other nodes wrote: their part of the chart.
        case minutes([ClusterLink.NodeMinute])
        case asked([ClusterQuery.Asked])
        case answered([ClusterQuery.Answer])
        /// The link listens anew after a loss: this node's minutes may have been missed.
        case reconnected
        /// Payment errors another node recorded.
        case paymentErrors([PaymentErrorRecord])
    }

    unowned let context: LoopContext
    unowned let presence: PresenceService
    var hub: PresenceHub { presence.hub }
    /// Where this node's counts go, and what the other nodes hold.
    private(set) var link: ClusterLink?
    private(set) var others: ClusterLink.Others?
    private(set) var othersVersion: UInt64 = 0
    private var linkVersion: UInt64 = .max
    private var linkPublishedAt: UInt64 = 0
    private var linkPublishScheduled = false
    /// The other nodes' minute histories, and when this node last handed over its own.
    private(set) var history = ClusterHistory()
    private var minutesHandedAt: UInt64 = 0
    /// Questions put to the other nodes (`ClusterPresence+Questions`).
    var questions = ClusterQuestions<ClusterAnswersWaiter>(firstID: EventLoop.now)

    var isJoined: Bool { link != nil }

    init(context: LoopContext, presence: PresenceService) {
        self.context = context
        self.presence = presence
    }

    func receive(_ message: Message) {
        switch message {
        case .othersChanged(let others): othersChanged(others)
        case .released(let sessions, let written): released(sessions[...], claimsWritten: written)
        case .minutes(let minutes): minutesFromElsewhere(minutes)
        case .asked(let questions): asked(questions)
        case .answered(let answers): answered(answers)
        case .reconnected: handOverAllMinutes()
        case .paymentErrors(let records): presence.paymentErrorsFromElsewhere(records)
        }
    }

    /// Cluster mode: this node's counts go to the other nodes from now on.
    func join(_ link: ClusterLink) {
        self.link = link
        hub.announcesClaims = true
        link.start()
        publish()
        handOverAllMinutes()
    }

    /// Every broadcast interval (the node's row is refreshed, changed or not), and when a
    /// change is due (`publishSoon`).
    func publish() {
        guard let link else { return }
        // The minute now open and the one before (its last version), so that every minute
        // this node is up gets a row, quiet ones too.
        if EventLoop.now &- minutesHandedAt >= Self.minutesHandOverInterval {
            minutesHandedAt = EventLoop.now
            link.record(minutes: hub.historyPoints(minutes: 2))
        }
        let batch = hub.claimBatch
        let claims = hub.takeClaims()
        if !claims.isEmpty { link.claim(claims, batch: batch) }
        guard hub.version != linkVersion else { return }
        linkVersion = hub.version
        linkPublishedAt = EventLoop.now
        link.publish(hub.counters, updatedAt: hub.updatedAt)
    }

    /// A change goes to the other nodes at once, at most once per broadcast interval (not
    /// at this node's next tick): their sellers see it within one of their intervals.
    func publishSoon() {
        guard link != nil, !linkPublishScheduled, hub.version != linkVersion else { return }
        let due = linkPublishedAt + context.configuration.broadcastInterval.nanoseconds
        let now = EventLoop.now
        guard due > now else { return publish() }
        linkPublishScheduled = true
        context.loop.schedule(afterNanoseconds: due - now) { [unowned self] in
            linkPublishScheduled = false
            publish()
        }
    }

    private func othersChanged(_ others: ClusterLink.Others) {
        self.others = others
        othersVersion &+= 1
        presence.schedulePublish()
    }

    /// Another node took these sessions: they leave this one (but those it took since), a
    /// slice per turn, so a node back in a large cluster, which reads every claim made
    /// while it was away, goes on answering meanwhile.
    private func released(_ sessions: ArraySlice<String>, claimsWritten: UInt32) {
        let end = sessions.index(sessions.startIndex, offsetBy: Self.releaseSlice, limitedBy: sessions.endIndex) ?? sessions.endIndex
        if hub.release(sessions[..<end], claimsWritten: claimsWritten) > 0 { presence.schedulePublish() }
        guard end < sessions.endIndex else { return }
        context.loop.schedule(afterNanoseconds: 0) { [unowned self] in released(sessions[end...], claimsWritten: claimsWritten) }
    }

    /// About 10 ms of releases on this machine (2.6 µs each, `bench/cluster_start.py`).
    static let releaseSlice = 4_000

    /// How often this node's open minute goes to the others' charts.
    static let minutesHandOverInterval: UInt64 = 5_000_000_000

    /// Every minute this node keeps (after a start, or the database came back and may have
    /// lost or missed some).
    private func handOverAllMinutes() {
        minutesHandedAt = EventLoop.now
        link?.record(minutes: hub.historyPoints(minutes: hub.history.capacity))
    }

    private func minutesFromElsewhere(_ minutes: [ClusterLink.NodeMinute]) {
        for minute in minutes { history.record(node: minute.node, minute.point) }
        history.forget(before: MetricsHistory.minute(of: presence.clock.nowMilliseconds))
    }

    /// Stops sharing (shutdown): this node's row leaves the others' totals now.
    func leave() {
        link?.stop()
        link = nil
    }
}
