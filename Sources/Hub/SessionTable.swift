/// The sessions, in slots, with two intrusive lists threaded through them: the active
/// sessions ordered by last activity (oldest first) and the ended ones ordered by end
/// time. A sweep walks from the old end and stops at the first session that is still
/// fresh, so its cost grows with what expires, not with the table.
///
/// Every write to a session passes through here (`insert`, the subscript, `remove`), so
/// the table also keeps what must follow each write exactly, whichever path of the hub
/// made it: the person index (who each session names) and the checkout funnel counts.
/// A beacon writes its session several times in a row, so a written session is followed
/// up once, when the table turns to another slot, before it is removed, or before the
/// index or the counts are read: never after each write, never stale when read.
struct SessionTable {
    private(set) var sessions: [Session?] = []
    private var prev: [Int32] = []
    private var next: [Int32] = []
    private var freeSlots: [Int32] = []
    private var slotByID: [String: Int32] = [:]
    /// Heads and tails of the two lists, indexed by `List.rawValue`.
    private var heads: [Int32] = [-1, -1]
    private var tails: [Int32] = [-1, -1]
    /// The slot written since the last follow-up, -1 for none (its contact fields as they
    /// were before are in `followUp`).
    private var pendingSlot: Int32 = -1
    /// Read through `settledPeople()` and `settledFunnel()`, which follow up the pending write.
    private var followUp = SessionFollowUp()

    private enum List: Int {
        case active = 0, ended = 1
    }

    var count: Int { slotByID.count }

    func slot(of id: String) -> Int32? { slotByID[id] }

    subscript(slot: Int32) -> Session {
        get { sessions[Int(slot)]! }
        _modify {
            // Only the first of a run of writes to one session costs more than the write.
            if slot != pendingSlot { willWrite(slot) }
            yield &sessions[Int(slot)]!
        }
    }

    /// Adds a session (active or ended) and returns its slot.
    mutating func insert(_ session: Session) -> Int32 {
        let slot: Int32
        if let reused = freeSlots.popLast() {
            slot = reused
            sessions[Int(slot)] = session
        } else {
            slot = Int32(sessions.count)
            sessions.append(session)
            prev.append(-1)
            next.append(-1)
        }
        slotByID[session.id] = slot
        uniqueFollowUp().added(session, at: slot)
        if session.isActive { append(slot, to: .active) } else { append(slot, to: .ended) }
        return slot
    }

    /// The session was active and did something: it moves to the fresh end.
    mutating func touch(_ slot: Int32) {
        unlink(slot, from: .active)
        append(slot, to: .active)
    }

    mutating func markEnded(_ slot: Int32) {
        unlink(slot, from: .active)
        append(slot, to: .ended)
    }

    mutating func markRevived(_ slot: Int32) {
        unlink(slot, from: .ended)
        append(slot, to: .active)
    }

    mutating func remove(_ slot: Int32) {
        settle()
        let session = sessions[Int(slot)]!
        if session.isActive { unlink(slot, from: .active) } else { unlink(slot, from: .ended) }
        slotByID[session.id] = nil
        uniqueFollowUp().removed(session, at: slot)
        sessions[Int(slot)] = nil
        freeSlots.append(slot)
    }

    /// The slots of the sessions any of `keys` names, each once, found through the index
    /// (a phone key without digits names nobody, see `PersonIndex.sessionIds(named:)`).
    mutating func slots(matching keys: [PersonKey]) -> [Int32] {
        settle()
        var found: [Int32] = []
        var seen: Set<Int32> = []
        func add(_ id: String) {
            guard let slot = slotByID[id] else {
                assertionFailure("the person index names a session the table does not hold")
                return
            }
            if keys.count == 1 || seen.insert(slot).inserted { found.append(slot) }
        }
        for key in keys {
            if let ids = followUp.people.sessionIds(named: key) {
                ids.forEach(add)
            } else if case .sessionId(let id) = key, slotByID[id] != nil {
                add(id)
            }
        }
        followUp.reads += found.count
        return found
    }

    /// The least recently active session.
    var oldestActive: Int32? { heads[List.active.rawValue] >= 0 ? heads[List.active.rawValue] : nil }
    /// The session that ended first.
    var oldestEnded: Int32? { heads[List.ended.rawValue] >= 0 ? heads[List.ended.rawValue] : nil }

    /// Every session, in no particular order.
    func forEach(_ body: (Session) -> Void) {
        followUp.reads += count
        for case let session? in sessions { body(session) }
    }

    /// Sessions handed out by person lookups and by `forEach` (tests: a lookup reads only
    /// the person's sessions, where a scan reads them all).
    var reads: Int { followUp.reads }

    /// The person index, up to date.
    mutating func settledPeople() -> PersonIndex {
        settle()
        return followUp.people
    }

    /// The checkout funnel counts, up to date.
    mutating func settledFunnel() -> CheckoutFunnelCounts {
        settle()
        return followUp.funnel
    }

    /// Another slot is about to be written: the last one is followed up, this one pending.
    private mutating func willWrite(_ slot: Int32) {
        settle()
        pendingSlot = slot
        let contact = sessions.withUnsafeBufferPointer { PersonIndex.Contact($0.baseAddress! + Int(slot)) }
        uniqueFollowUp().pendingContact = contact
    }

    /// Follows up the pending write: the index and the funnel move as its session changed.
    private mutating func settle() {
        guard pendingSlot >= 0 else { return }
        let slot = pendingSlot
        pendingSlot = -1
        let followUp = uniqueFollowUp()
        // Read in place: a copy of the whole session would cost more than the rest.
        sessions.withUnsafeBufferPointer { followUp.written($0.baseAddress! + Int(slot), at: slot) }
    }

    private mutating func uniqueFollowUp() -> SessionFollowUp {
        if !isKnownUniquelyReferenced(&followUp) { followUp = SessionFollowUp(copying: followUp) }
        return followUp
    }

    private mutating func append(_ slot: Int32, to list: List) {
        let tail = tails[list.rawValue]
        prev[Int(slot)] = tail
        next[Int(slot)] = -1
        if tail >= 0 { next[Int(tail)] = slot } else { heads[list.rawValue] = slot }
        tails[list.rawValue] = slot
    }

    private mutating func unlink(_ slot: Int32, from list: List) {
        let p = prev[Int(slot)], n = next[Int(slot)]
        if p >= 0 { next[Int(p)] = n } else { heads[list.rawValue] = n }
        if n >= 0 { prev[Int(n)] = p } else { tails[list.rawValue] = p }
        prev[Int(slot)] = -1
        next[Int(slot)] = -1
    }
}
