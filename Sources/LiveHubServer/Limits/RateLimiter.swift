/// Token buckets per client (`ClientAddress.rateKey`), one limiter per kind of request and
/// per event loop (no lock on the hot path; with N loops a client could reach N times the
/// rate, still a bound). A bucket holds up to `burst` tokens and gains `ratePerSecond` a
/// second; each request takes one.
///
/// The table itself is bounded: full buckets are the same as no bucket and are dropped
/// when the table is full; if every entry is in use, new clients share one overflow bucket
/// rather than grow the table.
public final class RateLimiter {
    public struct Rule: Sendable, Equatable {
        public var ratePerSecond: Double
        public var burst: Double

        public init(ratePerSecond: Double, burst: Double) {
            self.ratePerSecond = ratePerSecond
            self.burst = burst
        }
    }

    let rule: Rule
    let maxClients: Int
    private var buckets: [UInt64: Bucket] = [:]
    private var overflow: Bucket
    private var lastPrune: UInt64 = 0

    private struct Bucket {
        var tokens: Double
        var updatedAt: UInt64

        /// Refills for the time passed, then takes a token if there is one.
        mutating func take(_ rule: Rule, now: UInt64) -> Bool {
            if now > updatedAt {
                tokens = min(rule.burst, tokens + Double(now - updatedAt) / 1e9 * rule.ratePerSecond)
                updatedAt = now
            }
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }

        func isFull(_ rule: Rule, now: UInt64) -> Bool {
            tokens + Double(now &- min(now, updatedAt)) / 1e9 * rule.ratePerSecond >= rule.burst
        }
    }

    init(rule: Rule, maxClients: Int = 65_536) {
        self.rule = rule
        self.maxClients = maxClients
        overflow = Bucket(tokens: rule.burst, updatedAt: 0)
    }

    var trackedClients: Int { buckets.count }

    /// Nil if the request may go ahead; otherwise the seconds until it would (for
    /// `Retry-After`, at least 1).
    func check(_ key: UInt64, now: UInt64) -> Int? {
        if buckets.count >= maxClients && buckets[key] == nil {
            // At most one pass a second, so a flood of new addresses cannot make every
            // request walk the table.
            if now &- lastPrune >= 1_000_000_000 { prune(now: now) }
            if buckets.count >= maxClients {
                return overflow.take(rule, now: now) ? nil : retryAfter(overflow)
            }
        }
        // One lookup on the common path: the bucket is made or updated in place.
        if buckets[key, default: Bucket(tokens: rule.burst, updatedAt: now)].take(rule, now: now) { return nil }
        return retryAfter(buckets[key]!)
    }

    private func retryAfter(_ bucket: Bucket) -> Int {
        guard rule.ratePerSecond > 0 else { return 3600 }
        return max(1, Int(((1 - bucket.tokens) / rule.ratePerSecond).rounded(.up)))
    }

    /// Drops the buckets that have refilled: the clients that have been quiet long enough.
    func prune(now: UInt64) {
        lastPrune = now
        let rule = rule
        buckets = buckets.filter { !$0.value.isFull(rule, now: now) }
    }
}
