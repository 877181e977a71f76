import Testing
@testable import Hub

/// The whole-table scans the person index and the funnel counts replace, kept here as the
/// reference the hub's answers are compared with.
enum PresenceScans {
    /// The server's checkout funnel, as it was computed before the counts were kept.
    static func checkoutFunnel(_ hub: PresenceHub, since: Int64) -> [Int] {
        var checkout = Array(repeating: 0, count: 5)
        hub.forEachSession { session in
            guard session.startedAt >= since else { return }
            checkout[0] += 1
            guard session.visits.contains(where: \.pageType.showsProducts) || session.checkoutStatus != nil else { return }
            checkout[1] += 1
            guard let status = session.checkoutStatus else { return }
            checkout[2] += 1
            guard status != .started else { return }
            checkout[3] += 1
            if status == .completed { checkout[4] += 1 }
        }
        return checkout
    }

    /// The ids of the sessions any of `keys` names by `PersonKey.matches`, newest start first, ties by id.
    static func sessionIds(_ hub: PresenceHub, matching keys: [PersonKey]) -> [String] {
        var found: [Session] = []
        hub.forEachSession { session in
            if keys.contains(where: { $0.matches(sessionId: session.id, userId: session.userId, email: session.email, phone: session.phone) }) {
                found.append(session)
            }
        }
        return found.sorted { ($0.startedAt, $1.id) > ($1.startedAt, $0.id) }.map(\.id)
    }

    static func allSessions(_ hub: PresenceHub) -> [Session] {
        var all: [Session] = []
        hub.forEachSession { all.append($0) }
        return all
    }

    /// Every lookup by these keys (alone, and all of them at once) finds what the scan finds,
    /// in the same order, also when limited; the preview counts them alike; and the index
    /// and the funnel counts hold exactly what the table's sessions make, nothing left over.
    static func expectLookupsExact(_ hub: PresenceHub, keys: [PersonKey], sourceLocation: SourceLocation = #_sourceLocation) {
        for key in keys {
            let expected = sessionIds(hub, matching: [key])
            #expect(hub.sessions(matching: [key], limit: .max).map(\.id) == expected, "\(key)", sourceLocation: sourceLocation)
            #expect(hub.sessions(matching: [key], limit: 2).map(\.id) == Array(expected.prefix(2)), "\(key)", sourceLocation: sourceLocation)
            #expect(hub.count(matching: [key]).sessions == expected.count, "\(key)", sourceLocation: sourceLocation)
        }
        #expect(hub.sessions(matching: keys, limit: .max).map(\.id) == sessionIds(hub, matching: keys), sourceLocation: sourceLocation)
        let sessions = allSessions(hub)
        #expect(hub.table.settledPeople() == PersonIndex(of: sessions), "the index holds what the sessions name, no more", sourceLocation: sourceLocation)
        #expect(hub.table.settledFunnel() == CheckoutFunnelCounts(of: sessions), "the funnel counts what the sessions reached", sourceLocation: sourceLocation)
    }

    /// The funnel for each `since` equals the scan.
    static func expectFunnelExact(_ hub: PresenceHub, since values: [Int64], sourceLocation: SourceLocation = #_sourceLocation) {
        for since in values {
            #expect(hub.checkoutFunnel(since: since) == checkoutFunnel(hub, since: since), "since \(since)", sourceLocation: sourceLocation)
        }
    }
}
