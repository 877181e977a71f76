extension PresenceHub {
    // MARK: snapshots

    public func snapshot() -> HubSnapshot {
        var capture = beginSnapshot()
        while !continueSnapshot(&capture, sessions: .max) {}
        return capture.snapshot
    }

    /// A snapshot taken a slice at a time, so that a million sessions never hold the
    /// owner's thread for long: the payment errors now, the sessions slot by slot over
    /// later calls. Sessions that change meanwhile are caught as they were when their slot
    /// was copied, like a moment earlier or later; one that moved to a slot not yet copied
    /// may be there twice (`restore` keeps its newest state).
    public struct SnapshotCapture: Sendable {
        public fileprivate(set) var snapshot: HubSnapshot
        fileprivate var nextSlot = 0
    }

    public func beginSnapshot() -> SnapshotCapture {
        var snapshot = HubSnapshot(savedAt: now(), sessions: [], paymentErrors: errors.all, nextErrorID: nextErrorID,
                                   history: history.saved(counters: counters))
        snapshot.sessions.reserveCapacity(table.count)
        return SnapshotCapture(snapshot: snapshot)
    }

    /// Copies up to `sessions` more slots; true once every slot has been copied.
    public func continueSnapshot(_ capture: inout SnapshotCapture, sessions limit: Int) -> Bool {
        let slots = table.sessions
        let end = limit >= slots.count - capture.nextSlot ? slots.count : capture.nextSlot + limit
        if capture.nextSlot < end {
            for slot in capture.nextSlot..<end {
                if let session = slots[slot] { capture.snapshot.sessions.append(session) }
            }
        }
        capture.nextSlot = end
        return end >= slots.count
    }

    /// Replaces the state with a snapshot's, then ends the sessions that went idle while
    /// the hub was down (their visits end when they were last seen). Returns how many.
    @discardableResult
    public func restore(_ snapshot: HubSnapshot) -> Int {
        table = SessionTable()
        counters = PresenceCounters(maxKeys: configuration.maxTrackedKeys)
        errors = RecentPaymentErrors(capacity: configuration.recentPaymentErrors)
        // Active sessions go in by last activity, ended ones by end time, so both lists
        // are in order without a sort per insert. A session captured twice (it moved
        // while a snapshot was taken) is kept in its newest state.
        var newest: [String: Int] = [:]
        newest.reserveCapacity(snapshot.sessions.count)
        for (i, session) in snapshot.sessions.enumerated() {
            if let seen = newest[session.id] {
                let a = snapshot.sessions[seen]
                if (session.endedAt ?? session.lastActivity, session.lastActivity) >= (a.endedAt ?? a.lastActivity, a.lastActivity) { newest[session.id] = i }
            } else {
                newest[session.id] = i
            }
        }
        let unique = newest.count == snapshot.sessions.count ? snapshot.sessions : newest.values.sorted().map { snapshot.sessions[$0] }
        for var session in unique.sorted(by: { ($0.endedAt ?? $0.lastActivity) < ($1.endedAt ?? $1.lastActivity) }) {
            if session.isActive {
                session.openTabs = 0  // the sockets did not survive the restart
                counters.sessionStarted()
                if let page = session.page { counters.enter(page) }
            }
            session.claimBatch = 0  // this run has not announced it yet
            _ = table.insert(session)
            lastNow = max(lastNow, session.lastActivity, session.endedAt ?? 0)
        }
        for record in snapshot.paymentErrors { errors.append(record) }
        nextErrorID = max(nextErrorID, snapshot.nextErrorID)
        history = MetricsHistory(restoring: snapshot.history, resumingAt: max(lastNow, clock.nowMilliseconds), capacity: history.capacity)
        version &+= 1
        return sweep()
    }
}
