/// What one event loop enforces per client: the beacon and webhook rate limits, with the
/// counts `/metrics` shows. Confined to the loop's thread (the counters excepted).
final class ClientLimits {
    enum Kind {
        case beacon, webhook
    }

    let beacons: RateLimiter
    let webhooks: RateLimiter
    let counters: ServerCounters

    init(configuration: ServerConfiguration, counters: ServerCounters) {
        beacons = RateLimiter(rule: configuration.beaconRate)
        webhooks = RateLimiter(rule: configuration.webhookRate)
        self.counters = counters
    }

    /// Throws 429 with `Retry-After` once the client has spent its bucket.
    /// The bucket an address counts in (a peer whose address does not parse, which it
    /// always should, shares one). Connections compute it once, not per message.
    static func key(_ clientIP: String) -> UInt64 {
        ClientAddress(clientIP)?.rateKey ?? 0
    }

    func check(_ kind: Kind, key: UInt64, now: UInt64) throws(APIError) {
        let limiter = kind == .beacon ? beacons : webhooks
        guard let retryAfter = limiter.check(key, now: now) else { return }
        if kind == .beacon { counters.beaconsRateLimited.bump() } else { counters.webhooksRateLimited.bump() }
        var error = APIError(.tooManyRequests, code: "rate_limited",
                             message: "too many \(kind == .beacon ? "beacons" : "webhook deliveries") from this address; retry in \(retryAfter) s")
        error.headers.add(name: "Retry-After", value: String(retryAfter))
        throw error
    }
}
