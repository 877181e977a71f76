extension PresenceHub {
    /// The sessions kept (active and recently ended) that name any of `keys`, newest start
    /// first (ties by id), at most `limit`. Found through the person index, so the cost
    /// grows with the person's sessions, not with the table. Keys compare as
    /// `PersonKey.matches` does, except that a phone without digits names nobody.
    public func sessions(matching keys: [PersonKey], limit: Int) -> [Session] {
        guard limit > 0 else { return [] }
        var found = table.slots(matching: keys).map { table[$0] }
        found.sort { ($0.startedAt, $1.id) > ($1.startedAt, $0.id) }
        return found.count > limit ? Array(found.prefix(limit)) : found
    }
}
