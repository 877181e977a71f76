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
    case presence(PresenceCommand)
    case funnels(windowMilliseconds: Int64)
    case erasePreview(PersonKey)
    case erase(ErasureCall)
    case sessions(PersonKey)
}

/// `POST /api/privacy/erase`, as checked on the connection's loop.
struct ErasureCall: Sendable {
    /// Exactly what the confirmed preview named, the key asked for first.
    var identities: [PersonKey]
    /// The confirmation's one-time id, hashed.
    var confirmHash: String
    /// A keyed hash of the key (HMAC with the hub's secret): the same person always gets
    /// the same one, and nobody without the secret can tell whose it is.
    var pseudonym: String
    var keyHashes: [String]
    var by: String
}
