extension PresenceHub {
    /// How many sessions and recent payment errors name any of `keys` (an erasure's preview).
    public func count(matching keys: [PersonKey]) -> (sessions: Int, paymentErrors: Int) {
        var sessions = 0
        var sessionIds: Set<String> = []
        table.forEach { session in
            if keys.contains(where: { $0.matches(sessionId: session.id, userId: session.userId, email: session.email, phone: session.phone) }) {
                sessions += 1
                sessionIds.insert(session.id)
            }
        }
        let errors = errors.newestFirst(limit: Int.max, since: nil).filter { Self.belongs($0, to: keys, sessions: sessionIds) }.count
        return (sessions, errors)
    }

    /// Removes the sessions (live or ended, with their visits) that name any of `keys`, and
    /// the payment errors theirs by contact or recorded in a removed session. Exactly these
    /// keys: what a session claims besides (another user id, say) widens nothing, since
    /// anyone can send a beacon. The counts stay exact: a live session removed leaves them
    /// as its end would.
    public func erase(_ keys: [PersonKey]) -> PresenceErasure {
        var erased = PresenceErasure()
        var slots: [Int32] = []
        table.forEach { session in
            if keys.contains(where: { $0.matches(sessionId: session.id, userId: session.userId, email: session.email, phone: session.phone) }),
               let slot = table.slot(of: session.id) {
                slots.append(slot)
            }
        }
        for slot in slots {
            let session = table[slot]
            if session.isActive {
                if let page = session.page { counters.leave(page) }
                counters.sessionEnded()
                changed(now())
            }
            erased.sessionIds.insert(session.id)
            table.remove(slot)
        }
        erased.sessions = slots.count
        let removed = erased.sessionIds
        erased.paymentErrors = errors.remove { Self.belongs($0, to: keys, sessions: removed) }
        unsentErrors.removeAll { Self.belongs($0, to: keys, sessions: removed) }
        version &+= 1
        return erased
    }

    private static func belongs(_ record: PaymentErrorRecord, to keys: [PersonKey], sessions: Set<String>) -> Bool {
        sessions.contains(record.sessionId)
            || keys.contains { $0.matches(sessionId: record.sessionId, userId: nil, email: record.email, phone: record.phone) }
    }
}
