/// Which balance updates a `/ws/balance` socket sends, and when it must read what it lacks
/// from the table instead: each seq once and in order, whatever order the writes' live
/// updates and announcements reach this node in (sans-I/O: `BalanceSocket` does what it
/// says). A read answers with every seq after the one it names (`replayArrived`).
struct BalanceSequence {
    /// The last seq the socket has been sent.
    private(set) var sentSeq: Int64 = 0
    /// A read is on its way (the first one, asked at the start, begins with the balance).
    private(set) var awaitingReplay = false
    /// The newest seq heard of while a read was on its way.
    private var heardWhileWaiting: Int64 = 0

    /// The socket asks its first read as it opens.
    mutating func started() {
        awaitingReplay = true
    }

    /// A live update with `seq`: sent only if it is the next one and no read is on its
    /// way. A later one means some are missing: `read` says from where (nil: wait).
    mutating func live(_ seq: Int64) -> (send: Bool, read: Int64?) {
        guard !awaitingReplay, seq == sentSeq + 1 else { return (false, announced(seq)) }
        sentSeq = seq
        return (true, nil)
    }

    /// The user's balance reached `seq` (announced through the database): where to read
    /// from, or nil if nothing is missing or a read on its way will be followed by another.
    mutating func announced(_ seq: Int64) -> Int64? {
        guard seq > sentSeq else { return nil }
        guard !awaitingReplay else {
            heardWhileWaiting = max(heardWhileWaiting, seq)
            return nil
        }
        return catchUp()
    }

    /// Announcements may have been missed: read what came after the last seq sent (after
    /// the read on its way, if one is).
    mutating func catchUp() -> Int64? {
        guard !awaitingReplay else {
            heardWhileWaiting = .max
            return nil
        }
        awaitingReplay = true
        heardWhileWaiting = 0
        return sentSeq
    }

    /// A read arrived, its newest seq `lastSeq`: whether to send it (false when none was
    /// asked), and where to read next if more was heard of meanwhile.
    mutating func replayArrived(lastSeq: Int64) -> (send: Bool, read: Int64?) {
        guard awaitingReplay else { return (false, nil) }
        sentSeq = max(sentSeq, lastSeq)
        awaitingReplay = false
        return (true, heardWhileWaiting > sentSeq ? catchUp() : nil)
    }

    /// A read failed: whether the socket must close (it did ask one).
    mutating func replayFailed() -> Bool {
        defer { awaitingReplay = false }
        return awaitingReplay
    }
}
