import HTTP1
import HTTPClient
import Hub
import Records
import Reactor

/// The hub's owner: lives on one loop, applies every command in arrival order, publishes
/// what readers see, and drives the sweep and the seller broadcasts. No other thread
/// touches the `PresenceHub`.
final class HubService {
    let hub: PresenceHub
    unowned let context: LoopContext
    private var publishedVersion: UInt64 = .max
    private var broadcastVersion: UInt64 = .max
    private var errorsChanged = true
    private var publishScheduled = false
    private var publishedRefusals = 0

    private let snapshotWriter: SnapshotWriter
    private var snapshotInFlight = false
    let clock: WallClock
    /// Ledger and payments, rebuilt from the snapshot and the journal before the loop started.
    let money: MoneyBook
    let journal: Journal
    /// The records database's writer, and this turn's durable records for it.
    let records: RecordsWriter
    var recordsBatch: [(lsn: UInt64, record: MoneyRecord)] = []
    var journalSyncScheduled = false
    /// Pushes held until the journal records they announce are durable.
    var pendingAfterSync: [() -> Void] = []
    let alertRules: AlertRules
    let alerts: AlertDispatcher

    init(context: LoopContext, clock: WallClock, restoring snapshot: HubSnapshot?, store: SnapshotStore,
         money: MoneyBook, journal: Journal, records: RecordsWriter) {
        self.context = context
        self.records = records
        self.snapshotWriter = SnapshotWriter(store: store)
        self.clock = clock
        self.money = money
        self.journal = journal
        var rules = AlertRules.Configuration()
        rules.largeDeduction = context.configuration.alertLargeDeduction
        alertRules = AlertRules(configuration: rules)
        alerts = AlertDispatcher(url: context.configuration.alertWebhook.flatMap { OutgoingURL($0) }, loop: context.loop, metrics: context.shared.hubMetrics)
        var configuration = PresenceHub.Configuration()
        configuration.idleTimeout = Int64(context.configuration.idleTimeout / 1_000_000)
        configuration.maxSessions = context.configuration.maxSessions
        configuration.maxTrackedKeys = context.configuration.maxTrackedKeys
        configuration.paymentErrorRetention = Int64(context.configuration.errorRetention / 1_000_000)
        hub = PresenceHub(clock: clock, configuration: configuration)
        if let snapshot {
            hub.restore(snapshot)
            errorsChanged = true
        }
        publish()
        publishGaps()
        let loop = context.loop
        loop.scheduleRepeating(everyNanoseconds: context.configuration.snapshotInterval) { [unowned self] in saveSnapshot() }
        loop.scheduleRepeating(everyNanoseconds: context.configuration.sweepInterval) { [unowned self] in sweep() }
        loop.scheduleRepeating(everyNanoseconds: context.configuration.broadcastInterval) { [unowned self] in broadcast() }
        loop.scheduleRepeating(everyNanoseconds: 1_000_000_000) { [unowned self] in checkPaymentGaps() }
    }

    /// Applies one command and returns the answer for its HTTP caller.
    func apply(_ command: HubCommand) -> HTTPResponse {
        defer { schedulePublish() }
        switch command {
        case .beacon(let beacon, let client):
            do {
                try applyBeacon(beacon, client)
            } catch {
                return APIError(.serviceUnavailable, code: "session_table_full",
                                message: "the hub holds as many live sessions as --max-sessions allows; try again later").response
            }
            return Self.json(.ok, ["session_id": beacon.sessionID])
        case .tabOpened(let session, let client):
            // A refused tab is not counted; its socket's next beacon is answered with the error.
            try? hub.tabOpened(sessionId: session, client: client)
        case .tabClosed(let session):
            hub.tabClosed(sessionId: session)
        case .cleanup:
            let expired = hub.sweep()
            return HTTPResponse(status: .ok, contentType: "application/json", body: "{\"expired\":\(expired)}")
        default:
            do {
                return try applyMoney(command)
            } catch {
                return error.response
            }
        }
        return Self.json(.ok, [:])
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
            if let spike = alertRules.paymentErrorRecorded(at: clock.nowMilliseconds) { raiseAlert(spike) }
        case .paymentSuccess(let session, let reference, let amount):
            try hub.paymentSuccess(sessionId: session, reference: reference, amount: amount, client: client)
        case .heartbeat(let session):
            try hub.heartbeat(sessionId: session, client: client)
        case .sessionEnd(let session):
            hub.endSession(session)
        }
    }

    /// Applies a batch from another loop; publishes before the answers leave, so a client
    /// that has its answer reads its own write.
    func apply(batch: [(HubCommand, UInt64)]) -> [(UInt64, HTTPResponse)] {
        var replies: [(UInt64, HTTPResponse)] = []
        for (command, token) in batch {
            let response = apply(command)
            if token != 0 { replies.append((token, response)) }
        }
        // Group commit: one fdatasync for the batch's journal records, before any answer leaves.
        syncJournal()
        publish()
        return replies
    }

    private func schedulePublish() {
        guard !publishScheduled else { return }
        publishScheduled = true
        context.loop.atEndOfTurn { [unowned self] in publish() }
    }

    private func publish() {
        publishScheduled = false
        let metrics = hub.version != publishedVersion ? HubMessages.liveMetrics(hub.counters, updatedAt: hub.updatedAt) : nil
        let errors = errorsChanged ? hub.recentPaymentErrors(limit: hub.configuration.recentPaymentErrors) : nil
        let refusals = hub.sessionsRefused + hub.sessionsEvicted
        guard metrics != nil || errors != nil || refusals != publishedRefusals else { return }
        publishedRefusals = refusals
        publishedVersion = hub.version
        errorsChanged = false
        context.shared.publication.publish(liveMetrics: metrics, counters: hub.counters, sessionsKept: hub.sessionCount,
                                           sessionsRefused: hub.sessionsRefused, sessionsEvicted: hub.sessionsEvicted, recentErrors: errors)
    }

    /// Every `--broadcast-interval`: the latest counts (conflated: one update however many
    /// changes) and the new payment errors, each encoded once for every seller.
    private func broadcast() {
        if hub.version != broadcastVersion {
            broadcastVersion = hub.version
            let frame = HubMessages.frame(type: "metrics-update", data: HubMessages.liveMetrics(hub.counters, updatedAt: hub.updatedAt))
            context.shared.deliver(to: .seller, frame, conflatable: true, from: context)
        }
        let newErrors = hub.takeUnsentPaymentErrors()
        if !newErrors.isEmpty {
            let frame = HubMessages.frame(type: "payment-errors-update", data: HubMessages.paymentErrors(newErrors.reversed()))
            context.shared.deliver(to: .seller, frame, conflatable: false, errorsUpTo: newErrors.last?.id, from: context)
            records.write(paymentErrors: newErrors)
        }
    }

    /// Every `--sweep-interval`: idle sessions end, and sellers get a heartbeat.
    private func sweep() {
        let started = EventLoop.now
        hub.sweep()
        errorsChanged = true  // the sweep may have forgotten errors past their retention
        context.loop.stats.sweepNanoseconds.store(Int(EventLoop.now - started), ordering: .relaxed)
        schedulePublish()
        context.shared.deliver(to: .seller, HubMessages.frame(type: "metrics-heartbeat", data: nil), conflatable: true, from: context)
    }

    /// Captures the whole state for `DATA/snapshot` on the hub's loop (the hub is not
    /// touched meanwhile, so the capture is consistent with the journal position), then
    /// hands it to the writer's thread. `final` (shutdown) writes before returning.
    func saveSnapshot(final: Bool = false) {
        if snapshotInFlight && !final { return }
        let started = EventLoop.now
        syncJournal()
        money.pruneActivity(before: clock.nowMilliseconds - Int64(context.configuration.activityRetention / 1_000_000))
        // Money and the journal position together, in this turn: replay after loading
        // starts exactly where these records end.
        var capture = hub.beginSnapshot()
        let moneyRecords = money.records
        let lsn = journal.lastLSN
        let captured = journal.position
        func completed() -> HubSnapshot {
            var snapshot = capture.snapshot
            snapshot.money = moneyRecords
            snapshot.journalLSN = lsn
            return snapshot
        }
        if final {
            while !hub.continueSnapshot(&capture, sessions: .max) {}
            do {
                try snapshotWriter.writeNow(completed())
                snapshotWritten(.success(()), capturedSize: captured, started: started)
            } catch {
                snapshotWritten(.failure(error), capturedSize: captured, started: started)
            }
            return
        }
        snapshotInFlight = true
        var captureNanoseconds = EventLoop.now - started
        // The sessions a slice per loop turn (each slice some milliseconds), then the write.
        func nextSlice() {
            let sliceStarted = EventLoop.now
            let done = hub.continueSnapshot(&capture, sessions: Self.snapshotSlice)
            captureNanoseconds += EventLoop.now - sliceStarted
            guard done else {
                context.loop.schedule(afterNanoseconds: 0, nextSlice)
                return
            }
            context.loop.stats.snapshotCaptureNanoseconds.store(Int(captureNanoseconds), ordering: .relaxed)
            let hubLoop = context.loop.handle
            snapshotWriter.write(completed()) { result in
                hubLoop.execute { loop in
                    (loop.context as? LoopContext)?.hubService?.snapshotWritten(result, capturedSize: captured, started: started)
                }
            }
        }
        nextSlice()
    }

    /// Sessions copied per loop turn while a snapshot is captured (about 10 ms of work).
    static let snapshotSlice = 8192

    /// Back on the hub's loop: a saved snapshot lets the journal drop what the one before
    /// it held. A failure keeps everything (the journal still covers both snapshots).
    private func snapshotWritten(_ result: Result<Void, SnapshotStore.WriteError>, capturedSize: Int, started: UInt64) {
        snapshotInFlight = false
        do {
            try result.get()
            try journal.snapshotSaved(capturedSize: capturedSize)
        } catch {
            print("livehub: snapshot failed: \(error)")
        }
        context.loop.stats.snapshotNanoseconds.store(Int(EventLoop.now - started), ordering: .relaxed)
    }

    static func json(_ status: HTTPStatus, _ fields: [String: String]) -> HTTPResponse {
        var json = JSONWriter()
        json.beginObject()
        json.key("ok")
        json.bool(true)
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) { json.field(key, value) }
        json.endObject()
        return HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: json.bytes)
    }
}

/// A loop's way to the hub. On the hub's own loop commands apply at once; from another
/// loop they are batched and cross once per loop turn (one lock for the batch, not one
/// per beacon), and the answers come back the same way.
final class HubClient {
    unowned let context: LoopContext
    private var outgoing: [(HubCommand, UInt64)] = []
    private var waiting: [UInt64: HTTPConnection] = [:]
    private var waitingReplays: [UInt64: WebSocketEndpointConnection] = [:]
    private var nextToken: UInt64 = 1

    init(context: LoopContext) {
        self.context = context
    }

    /// Returns the answer now if the hub is on this loop; otherwise nil, and
    /// `replyTo.hubReplied(_:)` is called later (if the connection is still there).
    func submit(_ command: HubCommand, replyTo: HTTPConnection?) -> HTTPResponse? {
        if let service = context.hubService {
            return service.apply(command)
        }
        var token: UInt64 = 0
        if let replyTo {
            token = nextToken
            nextToken += 1
            waiting[token] = replyTo
        }
        if outgoing.isEmpty { context.loop.atEndOfTurn { [unowned self] in send() } }
        outgoing.append((command, token))
        return nil
    }

    /// Asks the hub for what a balance socket missed. Crosses to the hub's loop and back
    /// through the same task queues the live updates use, so the answer and the updates
    /// arrive in the order the hub produced them.
    func requestBalanceReplay(userId: String, since: Int64?, for socket: WebSocketEndpointConnection) {
        if let service = context.hubService {
            let replay = service.balanceReplay(userId: userId, since: since)
            socket.balanceReplayArrived(frames: replay.frames, lastSeq: replay.lastSeq)
            return
        }
        let token = nextToken
        nextToken += 1
        waitingReplays[token] = socket
        let origin = context.loop.handle
        context.shared.hubHandle.execute { hubLoop in
            guard let service = (hubLoop.context as? LoopContext)?.hubService else { return }
            let replay = service.balanceReplay(userId: userId, since: since)
            // Like the live updates: out only once what it shows is durable.
            service.afterSync {
                origin.execute { loop in
                    guard let client = (loop.context as? LoopContext)?.hubClient else { return }
                    client.waitingReplays.removeValue(forKey: token)?.balanceReplayArrived(frames: replay.frames, lastSeq: replay.lastSeq)
                }
            }
        }
    }

    func forget(_ connection: HTTPConnection) {
        for (token, waiter) in waiting where waiter === connection { waiting[token] = nil }
    }

    private func send() {
        let batch = outgoing
        outgoing = []
        let origin = context.loop.handle
        context.shared.hubHandle.execute { hubLoop in
            guard let service = (hubLoop.context as? LoopContext)?.hubService else { return }
            let replies = service.apply(batch: batch)
            guard !replies.isEmpty else { return }
            origin.execute { loop in
                (loop.context as? LoopContext)?.hubClient.deliver(replies)
            }
        }
    }

    private func deliver(_ replies: [(UInt64, HTTPResponse)]) {
        for (token, response) in replies {
            waiting.removeValue(forKey: token)?.hubReplied(response)
        }
    }
}
