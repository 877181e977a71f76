/// The live presence of a shop: sessions, where each one is, counts, recent payment
/// errors, and the idle sweep. One owner (one thread) calls it; it knows nothing of
/// sockets or JSON, and reads time only from its injected clock.
public final class PresenceHub {
    public struct Configuration: Sendable {
        /// A session idle longer than this (milliseconds) ends at the next sweep.
        public var idleTimeout: Int64 = 30 * 60 * 1000
        /// Ended sessions are kept this long (for revival and their visit history).
        public var endedRetention: Int64 = 24 * 3600 * 1000
        public var recentPaymentErrors = 500
        /// Payment errors older than this are forgotten at the sweep (contract: 30 days).
        public var paymentErrorRetention: Int64 = 30 * 86_400_000
        /// Sessions kept, active and ended. When full, the longest-ended session is
        /// forgotten to make room; with none ended, a new session is refused.
        public var maxSessions = 1_000_000
        /// Distinct names per live-metrics map (see `PresenceCounters`).
        public var maxTrackedKeys = 100

        public init() {}
    }

    /// A new session could not be taken: every place in the table holds a live session.
    public struct TableFull: Error, Equatable {}

    public let configuration: Configuration
    let clock: WallClock
    var table = SessionTable()
    public internal(set) var counters: PresenceCounters
    var errors: RecentPaymentErrors
    var nextErrorID: Int64 = 1
    var lastNow: Int64 = 0
    /// Minute by minute, for the dashboard's chart.
    public internal(set) var history: MetricsHistory
    /// What happened, per minute, for the records database's rollups (the shop's day).
    var rollups: RollupCounts
    var funnelSet = FunnelSet()
    /// When the counts last changed.
    public private(set) var updatedAt: Int64
    /// Goes up whenever the counts change: readers compare it with what they last sent.
    public internal(set) var version: UInt64 = 0
    /// Payment errors recorded since the broadcaster last took them.
    var unsentErrors: [PaymentErrorRecord] = []
    /// Cluster mode: each session's first beacon on this node is listed, for the cluster to
    /// announce that this node holds it now.
    public var announcesClaims = false
    private var claims: [String] = []
    /// The batch the claims made now go out in (counted from 1).
    public private(set) var claimBatch: UInt32 = 1

    public init(clock: WallClock, configuration: Configuration = Configuration()) {
        self.clock = clock
        self.configuration = configuration
        self.errors = RecentPaymentErrors(capacity: configuration.recentPaymentErrors)
        self.counters = PresenceCounters(maxKeys: configuration.maxTrackedKeys)
        self.updatedAt = clock.nowMilliseconds
        self.history = MetricsHistory(startingAt: clock.nowMilliseconds)
        self.rollups = RollupCounts(maxKeys: configuration.maxTrackedKeys, minute: MetricsHistory.minute(of: clock.nowMilliseconds))
    }

    /// New sessions refused because the table was full of live ones.
    public private(set) var sessionsRefused = 0
    /// Ended sessions forgotten early to make room for new ones.
    public private(set) var sessionsEvicted = 0

    /// The clock, never going backwards: the activity list stays ordered even if the
    /// wall clock is set back. Every change reads the time first, so this is also where a
    /// new minute of the history starts, with the counters as they were at the last one's end.
    func now() -> Int64 {
        lastNow = max(lastNow, clock.nowMilliseconds)
        history.roll(to: lastNow, counters: counters)
        return lastNow
    }

    /// The last `minutes` minutes of the history, the current one as it stands.
    public func historyPoints(minutes: Int) -> [MetricsHistory.Point] {
        history.points(minutes: minutes, now: now(), counters: counters)
    }

    public var sessionCount: Int { table.count }

    /// Every session kept, active and recently ended: a scan (see `sessions(matching:limit:)` and `checkoutFunnel(since:)`).
    public func forEachSession(_ body: (Session) -> Void) {
        table.forEach(body)
    }

    public func session(_ id: String) -> Session? {
        table.slot(of: id).map { table[$0] }
    }

    // MARK: beacons

    /// Starts (or revives) a session; returns its id.
    @discardableResult
    public func startSession(id: String, userId: String? = nil, email: String? = nil, phone: String? = nil, client: ClientInfo = ClientInfo(),
                             origin: Origin? = nil) throws(TableFull) -> String {
        let slot = try activeSlot(for: id, client: client, origin: origin)
        if let userId { table[slot].userId = userId }
        if let email { table[slot].email = email }
        if let phone { table[slot].phone = phone }
        return id
    }

    public func pageVisit(sessionId: String, pageType: PageType, identifier: String? = nil, url: String? = nil, client: ClientInfo = ClientInfo()) throws(TableFull) {
        let slot = try activeSlot(for: sessionId, client: client)
        move(slot, to: PageVisit(pageType: pageType, identifier: identifier, url: url, enteredAt: now()))
        countPage(slot, pageType, identifier: identifier, url: url)
    }

    public func checkoutStart(sessionId: String, items: String?, totalAmount: String?, paymentMethod: String?, client: ClientInfo = ClientInfo()) throws(TableFull) {
        let slot = try activeSlot(for: sessionId, client: client)
        table[slot].checkoutItems = items ?? table[slot].checkoutItems
        table[slot].totalAmount = totalAmount ?? table[slot].totalAmount
        table[slot].paymentMethod = paymentMethod ?? table[slot].paymentMethod
        table[slot].checkoutStatus = .started
        move(slot, to: PageVisit(pageType: .checkout, enteredAt: now()))
        countPage(slot, .checkout, identifier: nil, url: nil)
    }

    public func paymentStart(sessionId: String, paymentMethod: String?, amount: String?, client: ClientInfo = ClientInfo()) throws(TableFull) {
        let slot = try activeSlot(for: sessionId, client: client)
        table[slot].paymentMethod = paymentMethod ?? table[slot].paymentMethod
        table[slot].totalAmount = amount ?? table[slot].totalAmount
        table[slot].checkoutStatus = .payment
        move(slot, to: PageVisit(pageType: .payment, enteredAt: now()))
        countPage(slot, .payment, identifier: nil, url: nil)
    }

    @discardableResult
    public func paymentError(sessionId: String, code: String, message: String, details: String?, email: String?, phone: String?, client: ClientInfo = ClientInfo()) throws(TableFull) -> PaymentErrorRecord {
        let slot = try activeSlot(for: sessionId, client: client)
        if let email { table[slot].email = email }
        if let phone { table[slot].phone = phone }
        table[slot].checkoutStatus = .failed
        let time = now()
        move(slot, to: PageVisit(pageType: .paymentError, enteredAt: time))
        countPage(slot, .paymentError, identifier: nil, url: nil)
        countRollup(.paymentErrors, slot)
        let session = table[slot]
        let record = PaymentErrorRecord(
            id: nextErrorID, sessionId: sessionId, occurredAt: time, email: session.email, phone: session.phone,
            checkoutItems: session.checkoutItems, totalAmount: session.totalAmount, paymentMethod: session.paymentMethod,
            errorCode: code, errorMessage: message, errorDetails: details, client: session.client)
        nextErrorID += 1
        history.count(.paymentError)
        errors.append(record)
        unsentErrors.append(record)
        return record
    }

    public func paymentSuccess(sessionId: String, reference: String?, amount: String?, client: ClientInfo = ClientInfo()) throws(TableFull) {
        let slot = try activeSlot(for: sessionId, client: client)
        table[slot].totalAmount = amount ?? table[slot].totalAmount
        let time = now()
        if table[slot].checkoutStatus != .completed {
            history.count(.paid)
            countRollup(.paid, slot)
        }
        table[slot].checkoutStatus = .completed
        move(slot, to: PageVisit(pageType: .paymentSuccess, enteredAt: time))
        countPage(slot, .paymentSuccess, identifier: nil, url: nil)
    }

    /// `engagedMilliseconds`: how long the page was seen since the last heartbeat, as a
    /// visibility-aware tracker measures it (nil from one that does not).
    public func heartbeat(sessionId: String, engagedMilliseconds: Int64? = nil, client: ClientInfo = ClientInfo()) throws(TableFull) {
        let slot = try activeSlot(for: sessionId, client: client)
        if let engagedMilliseconds { creditEngaged(slot, milliseconds: engagedMilliseconds) }
    }

    /// Ends a session's presence. Ending an unknown or ended session changes nothing.
    public func endSession(_ id: String) {
        guard let slot = table.slot(of: id), table[slot].isActive else { return }
        let time = now()
        end(slot, at: time, now: time)
    }

    // MARK: tabs (/ws/track)

    public func tabOpened(sessionId: String, client: ClientInfo = ClientInfo()) throws(TableFull) {
        let slot = try activeSlot(for: sessionId, client: client)
        table[slot].openTabs += 1
    }

    /// The last tab of a session closing ends its presence.
    public func tabClosed(sessionId: String) {
        if let closedAt = tabClosing(sessionId: sessionId) { endAfterLastTab(sessionId: sessionId, closedAt: closedAt) }
    }

    /// A tab closed; when it was the session's last, the time it closed, for the caller to
    /// end the session a moment later (`endAfterLastTab`) unless the next page's socket or
    /// beacon comes first: a navigation closes one page's socket before the next page opens
    /// its own, and is neither an exit nor a new session.
    public func tabClosing(sessionId: String) -> Int64? {
        guard let slot = table.slot(of: sessionId), table[slot].isActive else { return nil }
        table[slot].openTabs = max(0, table[slot].openTabs - 1)
        return table[slot].openTabs == 0 ? now() : nil
    }

    /// Ends the session if nothing came from it since its last tab closed at `closedAt`.
    public func endAfterLastTab(sessionId: String, closedAt: Int64) {
        guard let slot = table.slot(of: sessionId), table[slot].isActive, table[slot].openTabs == 0,
              table[slot].lastActivity <= closedAt else { return }
        let time = now()
        end(slot, at: closedAt, now: time)
    }

    // MARK: cluster mode

    /// The sessions this node took since the last call (their first beacon here), the
    /// batch `claimBatch` was before the call; the next claims are the next batch.
    public func takeClaims() -> [String] {
        defer {
            if !claims.isEmpty { claimBatch &+= 1 }
            claims = []
        }
        return claims
    }

    /// Another node took these sessions (the balancer sends their beacons there now): they
    /// leave this node's counts as an end would, and its table. Returns how many it held.
    ///
    /// `written`: the newest batch of this node's claims in the database when the others'
    /// claims were read. A session claimed in a later batch stays: its claim, written after
    /// theirs, wins, and the other node lets it go instead (otherwise both would, the one
    /// in the moment between reading and handing over).
    @discardableResult
    public func release(_ ids: some Sequence<String>, claimsWritten written: UInt32 = .max) -> Int {
        var released = 0
        let time = now()
        for id in ids {
            guard let slot = table.slot(of: id), table[slot].claimBatch <= written else { continue }
            if table[slot].isActive { end(slot, at: table[slot].lastActivity, now: time, exits: false) }
            table.remove(slot)
            released += 1
        }
        return released
    }

    // MARK: sweep

    /// Ends every session idle longer than the idle timeout, and forgets ended ones past
    /// their retention. Returns how many sessions it ended. Walks only what expires.
    @discardableResult
    public func sweep() -> Int {
        let time = now()
        var expired = 0
        while let slot = table.oldestActive, time - table[slot].lastActivity > configuration.idleTimeout {
            // The visit ends when the session was last seen, not at the sweep.
            end(slot, at: table[slot].lastActivity, now: time)
            expired += 1
        }
        while let slot = table.oldestEnded, time - (table[slot].endedAt ?? time) > configuration.endedRetention {
            table.remove(slot)
        }
        errors.dropOlder(than: time - configuration.paymentErrorRetention)
        return expired
    }

    // MARK: reading

    public func recentPaymentErrors(limit: Int = 50, since: Int64? = nil) -> [PaymentErrorRecord] {
        errors.newestFirst(limit: limit, since: since)
    }

    /// Cluster mode: payment errors another node recorded, listed with this node's own (and
    /// numbered as this node's, so its sellers and its API see one sequence). They count
    /// neither in presence nor in the minute history (both are their node's, summed with
    /// this one's where shown) nor toward a spike alert (their node raises that).
    public func paymentErrorsFromElsewhere(_ records: [PaymentErrorRecord]) {
        _ = now()
        for var record in records {
            record.id = nextErrorID
            record.fromElsewhere = true
            nextErrorID += 1
            errors.append(record)
            unsentErrors.append(record)
        }
    }

    /// Payment errors recorded since the last `takeUnsentPaymentErrors`.
    public var hasUnsentPaymentErrors: Bool { !unsentErrors.isEmpty }

    public func takeUnsentPaymentErrors() -> [PaymentErrorRecord] {
        defer { unsentErrors = [] }
        return unsentErrors
    }

    // MARK: internals

    /// The slot of an active session with this id, starting or reviving it as needed
    /// (a beacon for an unknown or ended session counts as a start: sendBeacon cannot
    /// read answers, so the tracker never learns it should start again).
    func activeSlot(for id: String, client: ClientInfo, origin: Origin? = nil) throws(TableFull) -> Int32 {
        let time = now()
        if let slot = table.slot(of: id) {
            if !table[slot].isActive {
                table[slot].endedAt = nil
                table[slot].startedAt = time
                table[slot].openTabs = 0
                table.markRevived(slot)
                counters.sessionStarted()
                history.count(.sessionStarted)
                countStart(slot, client: client, isNew: false, origin: origin)
                changed(time)
            } else {
                table.touch(slot)
                if let origin { applyOrigin(slot, origin) }
            }
            table[slot].lastActivity = time
            if client.ip != nil { table[slot].client.ip = client.ip }
            if client.userAgent != nil { table[slot].client.userAgent = client.userAgent }
            countDay(slot)
            claim(slot)
            return slot
        }
        if table.count >= configuration.maxSessions {
            guard let oldest = table.oldestEnded else {
                sessionsRefused += 1
                throw TableFull()
            }
            table.remove(oldest)
            sessionsEvicted += 1
        }
        let slot = table.insert(Session(id: id, client: client, startedAt: time, lastActivity: time))
        counters.sessionStarted()
        history.count(.sessionStarted)
        countStart(slot, client: client, isNew: true, origin: origin)
        countDay(slot)
        changed(time)
        claim(slot)
        return slot
    }

    private func claim(_ slot: Int32) {
        guard announcesClaims, table[slot].claimBatch == 0 else { return }
        table[slot].claimBatch = claimBatch
        claims.append(table[slot].id)
    }

    private func move(_ slot: Int32, to visit: PageVisit) {
        if var current = table[slot].page {
            if current.pageType == visit.pageType && current.identifier == visit.identifier && current.url == visit.url {
                return  // a reload of the same page is not a move
            }
            counters.leave(current)
            current.exitedAt = visit.enteredAt
            table[slot].history.append(current)
            if table[slot].history.count > Session.historyLimit { table[slot].history.removeFirst() }
        }
        table[slot].page = visit
        counters.enter(visit)
        changed(visit.enteredAt)
    }

    /// `now`: the hub's time of the call that ends it, read once by a caller that ends many.
    /// `exits`: the session ended here (not handed to another node), so where it left counts.
    private func end(_ slot: Int32, at time: Int64, now: Int64, exits: Bool = true) {
        if exits { countExit(slot) }
        if var current = table[slot].page {
            counters.leave(current)
            current.exitedAt = max(time, current.enteredAt)
            table[slot].history.append(current)
            if table[slot].history.count > Session.historyLimit { table[slot].history.removeFirst() }
            table[slot].page = nil
        }
        table[slot].endedAt = time
        table[slot].openTabs = 0
        table.markEnded(slot)
        counters.sessionEnded()
        changed(now)
    }

    func changed(_ time: Int64) {
        version &+= 1
        updatedAt = max(updatedAt, time)
    }
}
