import Hub
import Money
import Reactor

/// Presence, on the hub's loop: the session table (`PresenceHub`), which nothing else
/// touches; beacons and tabs applied in arrival order, the sweep, snapshots
/// (`PresenceService+Snapshots`), and what readers see published (`HubPublication`) before
/// a write is answered, so a client that has its answer reads its own write.
/// Its inbox: `PresenceCommand`s, each answered with a `PresenceReply` (at once on this
/// loop, or in the batch another loop sent), and `Message`s from the snapshot writer.
final class PresenceService {
    /// What reaches presence from another thread (`HubInbox.presence`).
    enum Message: Sendable {
        /// The snapshot writer's thread wrote (or could not write) the snapshot begun at `started`.
        case snapshotWritten(Result<Void, SnapshotStore.WriteError>, started: UInt64)
        /// The records database could not take these counts: they go with the next.
        case rollupsNotWritten([RollupCounts.Minute])
        /// The custom funnels as the records database has them.
        case funnelsRead([CustomFunnel])
    }

    let hub: PresenceHub
    unowned let context: LoopContext
    let clock: WallClock
    /// The money side: the payment errors for the records database and the spike rule.
    let money: MoneyEngine
    /// Whom presence tells of its changes, set once by `HubServices`: the other nodes'
    /// counts are part of what is shown, and sellers hear of every publication.
    private(set) unowned var cluster: ClusterPresence!
    private(set) unowned var broadcast: SellerBroadcast!
    private var publishedVersion = ShownVersion.never
    private var errorsChanged = true
    private var publishScheduled = false
    private var publishedRefusals = 0
    /// The times of the payment errors applied this loop turn, for the spike rule (the money
    /// side's `AlertRules`, with every other rule): one operation per turn, not per beacon.
    private var paymentErrorTimes: [Int64] = []

    let snapshotWriter: SnapshotWriter
    var snapshotInFlight = false
    /// Who waits for a snapshot that replaces the one before it (`saveSnapshotReplacingPrevious`),
    /// and who waits for the one being written now.
    var awaitingReplacingSnapshot: [SnapshotWaiter] = []
    var inReplacingSnapshot: [SnapshotWaiter] = []
    /// The hour old rollup rows were last forgotten in.
    var lastRollupPruneHour: Int64 = -1

    init(context: LoopContext, clock: WallClock, restoring snapshot: HubSnapshot?, store: SnapshotStore, money: MoneyEngine) {
        self.context = context
        self.clock = clock
        self.money = money
        snapshotWriter = SnapshotWriter(store: store)
        var configuration = PresenceHub.Configuration()
        configuration.idleTimeout = context.configuration.idleTimeout.milliseconds
        configuration.maxSessions = context.configuration.maxSessions
        configuration.maxTrackedKeys = context.configuration.maxTrackedKeys
        configuration.paymentErrorRetention = context.configuration.errorRetention.milliseconds
        configuration.endedRetention = context.configuration.sessionRetention.milliseconds
        hub = PresenceHub(clock: clock, configuration: configuration)
        if let snapshot {
            hub.restore(snapshot)
            errorsChanged = true
        }
    }

    /// Once the other services exist; publishes the first state and starts the snapshot and
    /// sweep timers.
    func start(cluster: ClusterPresence, broadcast: SellerBroadcast) {
        self.cluster = cluster
        self.broadcast = broadcast
        publish()
        let loop = context.loop
        loop.scheduleRepeating(everyNanoseconds: context.configuration.snapshotInterval.nanoseconds) { [unowned self] in saveSnapshot() }
        loop.scheduleRepeating(everyNanoseconds: context.configuration.sweepInterval.nanoseconds) { [unowned self] in sweep() }
        startShopDay()
    }

    func receive(_ message: Message) {
        switch message {
        case .snapshotWritten(let result, let started): snapshotWritten(result, started: started)
        case .rollupsNotWritten(let minutes): hub.giveBackRollups(minutes)
        case .funnelsRead(let funnels): hub.setFunnels(funnels)
        }
    }

    /// Applies one command and replies with what happened (a value: the caller's loop makes
    /// it an answer, if anyone waits for one).
    func apply(_ command: PresenceCommand) -> PresenceReply {
        defer { schedulePublish() }
        switch command {
        case .beacon(let beacon, let client):
            do {
                try applyBeacon(beacon, client)
            } catch {
                return .tableFull
            }
            return .applied(sessionID: beacon.sessionID)
        case .tabOpened(let session, let client):
            // A refused tab is not counted; its socket's next beacon is answered with the error.
            try? hub.tabOpened(sessionId: session, client: client)
            return .noted
        case .tabClosed(let session):
            if let closedAt = hub.tabClosing(sessionId: session) {
                context.loop.schedule(afterNanoseconds: context.configuration.tabCloseGrace.nanoseconds) { [unowned self] in
                    hub.endAfterLastTab(sessionId: session, closedAt: closedAt)
                    schedulePublish()
                }
            }
            return .noted
        case .cleanup:
            return .swept(expired: hub.sweep())
        case .history(let minutes):
            var points = hub.historyPoints(minutes: minutes)
            if cluster.isJoined { points = cluster.history.merged(points, minutes: minutes, live: shown.counters) }
            return .history(points)
        }
    }

    private func applyBeacon(_ beacon: Beacon, _ client: ClientInfo) throws(PresenceHub.TableFull) {
        switch beacon {
        case .sessionStart(let id, let userId, let email, let phone, let origin):
            try hub.startSession(id: id, userId: userId, email: email, phone: phone, client: client, origin: origin)
        case .pageVisit(let session, let pageType, let identifier, let url):
            try hub.pageVisit(sessionId: session, pageType: pageType, identifier: identifier, url: url, client: client)
        case .checkoutStart(let session, let items, let total, let method):
            try hub.checkoutStart(sessionId: session, items: items, totalAmount: total, paymentMethod: method, client: client)
        case .paymentStart(let session, let method, let amount):
            try hub.paymentStart(sessionId: session, paymentMethod: method, amount: amount, client: client)
        case .paymentError(let session, let code, let message, let details, let email, let phone):
            try hub.paymentError(sessionId: session, code: code, message: message, details: details, email: email, phone: phone, client: client)
            errorsChanged = true
            countPaymentError()
        case .paymentSuccess(let session, let reference, let amount):
            try hub.paymentSuccess(sessionId: session, reference: reference, amount: amount, client: client)
        case .heartbeat(let session, let engaged):
            try hub.heartbeat(sessionId: session, engagedMilliseconds: engaged, client: client)
        case .event(let session, let name, let props):
            try hub.event(sessionId: session, name: name, props: props, client: client)
        case .sessionEnd(let session):
            hub.endSession(session)
        }
    }

    private func countPaymentError() {
        if paymentErrorTimes.isEmpty {
            context.loop.atEndOfTurn { [unowned self] in
                money.submit(CountPaymentErrors(at: paymentErrorTimes))
                paymentErrorTimes = []
            }
        }
        paymentErrorTimes.append(clock.nowMilliseconds)
    }

    /// The payment errors changed other than by a beacon (an erasure, another node's): publish them anew.
    func markErrorsChanged() {
        errorsChanged = true
        schedulePublish()
    }

    /// Payment errors another node recorded: this node's sellers get them with their next
    /// update, and its API lists them.
    func paymentErrorsFromElsewhere(_ records: [PaymentErrorRecord]) {
        hub.paymentErrorsFromElsewhere(records)
        markErrorsChanged()
    }

    func schedulePublish() {
        guard !publishScheduled else { return }
        publishScheduled = true
        context.loop.atEndOfTurn { [unowned self] in publish() }
    }

    var shownVersion: ShownVersion { ShownVersion(hub: hub.version, others: cluster.othersVersion) }

    /// The counts sellers see: this node's, plus the other nodes' in cluster mode.
    var shown: ShownCounters {
        let others = cluster.others
        return ShownCounters(own: hub.counters, others: others?.counters, updatedAt: max(hub.updatedAt, others?.updatedAt ?? 0))
    }

    /// The payment errors no seller has been sent yet, oldest first; those recorded here go
    /// to the records database as they leave.
    func takeNewPaymentErrors() -> [PaymentErrorRecord] {
        guard hub.hasUnsentPaymentErrors else { return [] }
        let new = hub.takeUnsentPaymentErrors()
        let ours = new.filter { !$0.fromElsewhere }
        if !ours.isEmpty { money.record(paymentErrors: ours) }
        return new
    }

    func publish() {
        publishScheduled = false
        cluster.publishSoon()
        // After the publication: a seller joining on another loop reads the state from
        // it, and must not read one older than an update it then misses.
        defer { broadcast.soon() }
        let changed = shownVersion != publishedVersion
        let errors = errorsChanged ? hub.recentPaymentErrors(limit: hub.configuration.recentPaymentErrors) : nil
        let refusals = hub.sessionsRefused + hub.sessionsEvicted
        guard changed || errors != nil || refusals != publishedRefusals else { return }
        publishedRefusals = refusals
        publishedVersion = shownVersion
        errorsChanged = false
        context.shared.publication.publish(shown: shown, counters: hub.counters, sessionsKept: hub.sessionCount,
                                           sessionsRefused: hub.sessionsRefused, sessionsEvicted: hub.sessionsEvicted, recentErrors: errors)
    }

    /// Every `--sweep-interval`: idle sessions end, and sellers get a heartbeat.
    private func sweep() {
        let started = EventLoop.now
        hub.sweep()
        errorsChanged = true  // the sweep may have forgotten errors past their retention
        context.counters.sweepNanoseconds.store(Int(EventLoop.now - started), ordering: .relaxed)
        schedulePublish()
        broadcast.heartbeat()
    }
}

/// What sellers are shown has changed when this node's counts or the others' have.
struct ShownVersion: Equatable {
    var hub: UInt64
    var others: UInt64
    static let never = ShownVersion(hub: .max, others: .max)
}
