import HTTPClient
import Hub
import Cluster
import Logging
import Money
import Records
import Reactor

/// The hub's owner: lives on one loop, applies every command in arrival order, publishes
/// what readers see, and drives the sweep and the seller broadcasts. No other thread
/// touches the `PresenceHub`.
final class HubService {
    let hub: PresenceHub
    unowned let context: LoopContext
    private var publishedVersion = ShownVersion.never
    private var broadcastVersion = ShownVersion.never
    /// Cluster mode (HubService+Cluster): where this node's counts go, and what the other
    /// nodes hold.
    var cluster: ClusterLink?
    var others: ClusterLink.Others?
    var othersVersion: UInt64 = 0
    var clusterVersion: UInt64 = .max
    var clusterPublishedAt: UInt64 = 0
    var clusterPublishScheduled = false
    /// The other nodes' minute histories, and when this node last handed over its own.
    var clusterHistory = ClusterHistory()
    var minutesHandedAt: UInt64 = 0
    /// Questions put to the other nodes (HubService+ClusterQueries).
    var clusterQuestions = ClusterQuestions<ClusterAnswersWaiter>(firstID: EventLoop.now)
    private var errorsChanged = true
    private var publishScheduled = false
    private var publishedRefusals = 0
    /// When sellers were last sent an update, and whether one is waiting for the interval
    /// to pass (`broadcastSoon`).
    private var broadcastAt: UInt64 = 0
    private var broadcastScheduled = false

    private let snapshotWriter: SnapshotWriter
    private var snapshotInFlight = false
    /// Erasures waiting for a snapshot written without what they erased, and those the
    /// snapshot being written now is for.
    var erasuresAwaitingSnapshot: [Int] = []
    private var erasuresInSnapshot: [Int] = []
    var erasures: [Int: ErasureInProgress] = [:]
    var nextErasureID = 1
    let clock: WallClock
    /// The money side, on its own thread with the records database.
    let money: MoneyEngine
    let alerts: AlertDispatcher
    /// The times of the payment errors applied this loop turn, for the spike rule (the money
    /// side's `AlertRules`, with every other rule): one operation per turn, not per beacon.
    private var paymentErrorTimes: [Int64] = []

    init(context: LoopContext, clock: WallClock, restoring snapshot: HubSnapshot?, store: SnapshotStore, money: MoneyEngine) {
        self.context = context
        self.snapshotWriter = SnapshotWriter(store: store)
        self.clock = clock
        self.money = money
        alerts = AlertDispatcher(url: context.configuration.alertWebhook.flatMap { OutgoingURL($0) }, loop: context.loop, money: money,
                                 metrics: context.shared.hubMetrics, publicURL: context.configuration.publicURL)
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
        publish()
        let loop = context.loop
        loop.scheduleRepeating(everyNanoseconds: context.configuration.snapshotInterval.nanoseconds) { [unowned self] in saveSnapshot() }
        loop.scheduleRepeating(everyNanoseconds: context.configuration.sweepInterval.nanoseconds) { [unowned self] in sweep() }
        loop.scheduleRepeating(everyNanoseconds: context.configuration.broadcastInterval.nanoseconds) { [unowned self] in
            publishToCluster()  // the node's row is refreshed every interval, changed or not
            broadcastSoon()
        }
        // At once as well: the start's retention pass (what expired while the hub was down)
        // goes ahead of anything this run writes, never into its first second's records.
        money.submit(CheckGaps())
        loop.scheduleRepeating(everyNanoseconds: 1_000_000_000) { [unowned self] in self.money.submit(CheckGaps()) }
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
            hub.tabClosed(sessionId: session)
            return .noted
        case .cleanup:
            return .swept(expired: hub.sweep())
        case .history(let minutes):
            var points = hub.historyPoints(minutes: minutes)
            if cluster != nil { points = clusterHistory.merged(points, minutes: minutes, live: shown.counters) }
            return .history(points)
        }
    }

    private func applyBeacon(_ beacon: Beacon, _ client: ClientInfo) throws(PresenceHub.TableFull) {
        switch beacon {
        case .sessionStart(let id, let userId, let email, let phone):
            try hub.startSession(id: id, userId: userId, email: email, phone: phone, client: client)
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
        case .heartbeat(let session):
            try hub.heartbeat(sessionId: session, client: client)
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

    /// Applies a batch from another loop; publishes before the answers leave, so a client
    /// that has its answer reads its own write.
    func apply(batch: [(HubTask, UInt64)], from origin: EventLoopHandle) -> [(UInt64, HubReply)] {
        var replies: [(UInt64, HubReply)] = []
        for (task, token) in batch {
            let replyTo = ReplyAddress(origin: origin, token: token, contexts: context.shared.contexts)
            switch task {
            case .presence(let command):
                let reply = apply(command)
                if token != 0 { replies.append((token, .presence(reply))) }
            case .funnels(let window):
                // From the start of a minute: the checkout funnel counts sessions by the minute they started.
                forwardFunnels(since: (clock.nowMilliseconds - window) / 60_000 * 60_000, replyTo: replyTo)
            case .erasePreview(let key):
                previewErasure(key, replyTo: replyTo)
            case .erase(let call):
                startErasure(call, replyTo: replyTo)
            case .sessions(let person):
                lookUp(person, replyTo: replyTo)
            }
        }
        publish()
        return replies
    }

    /// The payment errors changed other than by a beacon (an erasure): publish them anew.
    func markErrorsChanged() {
        errorsChanged = true
        schedulePublish()
    }

    func schedulePublish() {
        guard !publishScheduled else { return }
        publishScheduled = true
        context.loop.atEndOfTurn { [unowned self] in publish() }
    }

    /// What sellers are shown has changed when this node's counts or the others' have.
    private struct ShownVersion: Equatable {
        var hub: UInt64
        var others: UInt64
        static let never = ShownVersion(hub: .max, others: .max)
    }

    private var shownVersion: ShownVersion { ShownVersion(hub: hub.version, others: othersVersion) }

    /// The counts sellers see: this node's, plus the other nodes' in cluster mode.
    private var shown: ShownCounters {
        ShownCounters(own: hub.counters, others: others?.counters, updatedAt: max(hub.updatedAt, others?.updatedAt ?? 0))
    }

    private func publish() {
        publishScheduled = false
        publishToClusterSoon()
        // After the publication: a seller joining on another loop reads the state from
        // it, and must not read one older than an update it then misses.
        defer { broadcastSoon() }
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

    /// A change reaches the sellers at once when their last update is at least one
    /// `--broadcast-interval` old, else when it becomes so: never more than one update
    /// per interval (conflated: one however many changes), and a beacon after a quiet
    /// spell waits for no tick.
    private func broadcastSoon() {
        guard !broadcastScheduled, shownVersion != broadcastVersion || hub.hasUnsentPaymentErrors else { return }
        let due = broadcastAt + context.configuration.broadcastInterval.nanoseconds
        let now = EventLoop.now
        guard due > now else { return broadcast(now: now) }
        broadcastScheduled = true
        context.loop.schedule(afterNanoseconds: due - now) { [unowned self] in
            broadcastScheduled = false
            broadcast(now: EventLoop.now)
        }
    }

    /// The latest counts and the new payment errors, each encoded once for every seller.
    private func broadcast(now: UInt64) {
        broadcastAt = now
        if shownVersion != broadcastVersion {
            broadcastVersion = shownVersion
            let frame = HubMessages.frame(type: "metrics-update", data: shown.liveMetrics)
            context.shared.deliver(to: .seller, frame, conflatable: true, from: context)
        }
        let newErrors = hub.takeUnsentPaymentErrors()
        if !newErrors.isEmpty {
            let frame = HubMessages.frame(type: "payment-errors-update", data: HubMessages.paymentErrors(newErrors.reversed()))
            context.shared.deliver(to: .seller, frame, conflatable: false, errorsUpTo: newErrors.last?.id, from: context)
            let ours = newErrors.filter { !$0.fromElsewhere }
            if !ours.isEmpty { money.record(paymentErrors: ours) }
        }
    }

    /// Every `--sweep-interval`: idle sessions end, and sellers get a heartbeat.
    private func sweep() {
        let started = EventLoop.now
        hub.sweep()
        errorsChanged = true  // the sweep may have forgotten errors past their retention
        context.counters.sweepNanoseconds.store(Int(EventLoop.now - started), ordering: .relaxed)
        schedulePublish()
        context.shared.deliver(to: .seller, HubMessages.frame(type: "metrics-heartbeat", data: nil), conflatable: true, from: context)
    }

    /// Captures presence for `DATA/snapshot` on the hub's loop, a slice of sessions per
    /// turn, then hands it to the writer's thread. `final` (shutdown) writes before
    /// returning. Money is not in it: the records database holds that.
    func saveSnapshot(final: Bool = false) {
        if snapshotInFlight && !final { return }
        let started = EventLoop.now
        // A snapshot after an erasure replaces the one before it instead of keeping it.
        erasuresInSnapshot += erasuresAwaitingSnapshot
        erasuresAwaitingSnapshot = []
        let keepingPrevious = erasuresInSnapshot.isEmpty
        var capture = hub.beginSnapshot()
        if final {
            while !hub.continueSnapshot(&capture, sessions: .max) {}
            do {
                try snapshotWriter.writeNow(capture.snapshot, keepingPrevious: keepingPrevious)
                snapshotWritten(.success(()), started: started)
            } catch {
                snapshotWritten(.failure(error), started: started)
            }
            return
        }
        snapshotInFlight = true
        var captureNanoseconds = EventLoop.now - started
        func nextSlice() {
            let sliceStarted = EventLoop.now
            let done = hub.continueSnapshot(&capture, sessions: Self.snapshotSlice)
            captureNanoseconds += EventLoop.now - sliceStarted
            guard done else {
                context.loop.schedule(afterNanoseconds: 0, nextSlice)
                return
            }
            context.counters.snapshotCaptureNanoseconds.store(Int(captureNanoseconds), ordering: .relaxed)
            let hubLoop = context.loop.handle, contexts = context.shared.contexts
            snapshotWriter.write(capture.snapshot, keepingPrevious: keepingPrevious) { result in
                hubLoop.execute { loop in
                    contexts[loop]?.hubService?.snapshotWritten(result, started: started)
                }
            }
        }
        nextSlice()
    }

    /// Sessions copied per loop turn while a snapshot is captured (about 10 ms of work).
    static let snapshotSlice = 8192
    /// The most sessions `GET /api/sessions` answers, newest first.
    static let sessionsAnswered = 50

    private func snapshotWritten(_ result: Result<Void, SnapshotStore.WriteError>, started: UInt64) {
        snapshotInFlight = false
        if case .failure(let error) = result { ServerLog.logger.error("snapshot failed", metadata: ["error": "\(error)"]) }
        context.counters.snapshotNanoseconds.store(Int(EventLoop.now - started), ordering: .relaxed)
        let erased = erasuresInSnapshot
        erasuresInSnapshot = []
        for id in erased { erasureSnapshotWritten(id, result) }
        if !erasuresAwaitingSnapshot.isEmpty { saveSnapshot() }
    }
}
