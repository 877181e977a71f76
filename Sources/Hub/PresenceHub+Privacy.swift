extension PresenceHub {
    /// How many sessions and recent payment errors name any of `keys` (an erasure's preview).
    /// The sessions are found through the person index (only theirs are read); the payment
    /// errors are scanned, being at most `Configuration.recentPaymentErrors`.
    public func count(matching keys: [PersonKey]) -> (sessions: Int, paymentErrors: Int) {
        let slots = table.slots(matching: keys)
        let sessionIds = Set(slots.map { table[$0].id })
        let errors = errors.newestFirst(limit: Int.max, since: nil).filter { Self.belongs($0, to: keys, sessions: sessionIds) }.count
        return (slots.count, errors)
    }

    /// Removes the sessions (live or ended, with their visits) that name any of `keys`, and
    /// the payment errors theirs by contact or recorded in a removed session. Exactly these
    /// keys: what a session claims besides (another user id, say) widens nothing, since
    /// anyone can send a beacon. The counts stay exact: a live session removed leaves them
    /// as its end would. Like `count(matching:)`, it reads only the person's sessions; leaving
    /// the table takes them out of the person index and the checkout funnel too.
    public func erase(_ keys: [PersonKey]) -> PresenceErasure {
        var erased = PresenceErasure()
        let slots = table.slots(matching: keys)
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
