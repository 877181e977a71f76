/// Failed sign-ins counted per client address and per operator name, over a sliding
/// window (OWASP Authentication Cheat Sheet: throttle both, or one address tries every
/// account and many addresses try one). Past `limit` failures in the window, every try
/// (the right password too) is refused until the oldest failure leaves it. Bounded: at
/// most `maxKeys` keys are tracked; past that the oldest entries go.
struct LoginThrottle {
    var limit = 10
    /// Seconds.
    var window: Int64 = 15 * 60
    var maxKeys = 10_000
    private var failures: [String: [Int64]] = [:]

    /// Seconds until `key` may try again; nil if it may now.
    mutating func wait(_ key: String, now: Int64) -> Int64? {
        guard var times = failures[key] else { return nil }
        times.removeAll { now - $0 >= window }
        failures[key] = times.isEmpty ? nil : times
        guard times.count >= limit, let oldest = times.first else { return nil }
        return max(1, oldest + window - now)
    }

    mutating func failed(_ key: String, now: Int64) {
        if failures[key] == nil, failures.count >= maxKeys {
            failures = failures.filter { _, times in times.contains { now - $0 < window } }
            if failures.count >= maxKeys, let any = failures.keys.first { failures[any] = nil }
        }
        failures[key, default: []].append(now)
    }

    mutating func succeeded(_ key: String) { failures[key] = nil }
}
