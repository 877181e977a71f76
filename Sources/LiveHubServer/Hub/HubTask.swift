import Hub

/// What presence is asked: beacons and tabs from the storefront, the sweep on demand, the
/// chart's minutes. Answered with a `PresenceReply`.
enum PresenceCommand: Sendable {
    case beacon(Beacon, ClientInfo)
    /// A `/ws/track` socket bound itself to a session.
    case tabOpened(String, ClientInfo)
    case tabClosed(String)
    case cleanup
    /// `GET /api/metrics/history`: the chart's minutes, read where they are kept.
    case history(minutes: Int)
}

/// What crosses to the hub's loop from another loop, each answered with a `HubReply` (a
/// presence command in the same loop turn, the others once they have their parts).
enum HubTask: Sendable {
    /// To presence.
    case presence(PresenceCommand)
    /// To the cluster's presence (every node's checkout steps), then the money engine.
    case funnels(windowMilliseconds: Int64)
    /// To the erasure flow.
    case erasePreview(PersonKey)
    case erase(ErasureCall)
    /// To the cluster's presence (the person's sessions on every node).
    case sessions(PersonKey)
}
