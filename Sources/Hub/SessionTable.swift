/// The sessions, in slots, with two intrusive lists threaded through them: the active
/// sessions ordered by last activity (oldest first) and the ended ones ordered by end
/// time. A sweep walks from the old end and stops at the first session that is still
/// fresh, so its cost grows with what expires, not with the table.
struct SessionTable {
    private(set) var sessions: [Session?] = []
    private var prev: [Int32] = []
    private var next: [Int32] = []
    private var freeSlots: [Int32] = []
    private var slotByID: [String: Int32] = [:]
    /// Heads and tails of the two lists, indexed by `List.rawValue`.
    private var heads: [Int32] = [-1, -1]
    private var tails: [Int32] = [-1, -1]

    private enum List: Int {
        case active = 0, ended = 1
    }

    var count: Int { slotByID.count }

    func slot(of id: String) -> Int32? { slotByID[id] }

    subscript(slot: Int32) -> Session {
        get { sessions[Int(slot)]! }
        _modify { yield &sessions[Int(slot)]! }
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
        let session = sessions[Int(slot)]!
        if session.isActive { unlink(slot, from: .active) } else { unlink(slot, from: .ended) }
        slotByID[session.id] = nil
        sessions[Int(slot)] = nil
        freeSlots.append(slot)
    }

    /// The least recently active session.
    var oldestActive: Int32? { heads[List.active.rawValue] >= 0 ? heads[List.active.rawValue] : nil }
    /// The session that ended first.
    var oldestEnded: Int32? { heads[List.ended.rawValue] >= 0 ? heads[List.ended.rawValue] : nil }

    /// Every session, in no particular order.
    func forEach(_ body: (Session) -> Void) {
        for case let session? in sessions { body(session) }
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
