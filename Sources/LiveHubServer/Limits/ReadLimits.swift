import Synchronization

/// What one credential may read at once and per second (README "Limits"): every read of
/// the records database or of every session costs the hub, so each API key, token or
/// console session has at most `maxInFlight` such reads waiting for their answer and
/// `rule` of them a second (429 with `Retry-After` past either). Shared by the loops; its
/// table holds credentials that have a read in flight or a bucket not yet full again,
/// at most `maxCredentials` (past that, the idle ones go; then every newcomer is refused).
final class ReadLimits: Sendable {
    struct Rule: Sendable {
        var maxInFlight = 8
        var ratePerSecond = 50.0
        var burst = 100.0
    }

    private struct Entry {
        var inFlight = 0
        var tokens: Double
        var updatedAt: UInt64
    }

    private let rule: Rule
    private let maxCredentials: Int
    private let table = Mutex<[String: Entry]>([:])

    init(rule: Rule = Rule(), maxCredentials: Int = 10_000) {
        self.rule = rule
        self.maxCredentials = maxCredentials
    }

    enum Refusal: Error {
        case tooManyAtOnce
        case tooFast(retryAfter: Int)
    }

    /// A permit for one read by `credential` at `now` (monotonic nanoseconds), to release
    /// once its answer is out.
    func admit(_ credential: String, now: UInt64) throws(Refusal) -> ReadPermit {
        let result: Result<Void, Refusal> = table.withLock { table in
            if table[credential] == nil && table.count >= maxCredentials {
                table = table.filter { $0.value.inFlight > 0 }
                guard table.count < maxCredentials else { return .failure(.tooManyAtOnce) }
            }
            var entry = table[credential] ?? Entry(tokens: rule.burst, updatedAt: now)
            if now > entry.updatedAt {
                entry.tokens = min(rule.burst, entry.tokens + Double(now - entry.updatedAt) / 1e9 * rule.ratePerSecond)
                entry.updatedAt = now
            }
            guard entry.inFlight < rule.maxInFlight else { table[credential] = entry; return .failure(.tooManyAtOnce) }
            guard entry.tokens >= 1 else {
                table[credential] = entry
                return .failure(.tooFast(retryAfter: max(1, Int(((1 - entry.tokens) / rule.ratePerSecond).rounded(.up)))))
            }
            entry.tokens -= 1
            entry.inFlight += 1
            table[credential] = entry
            return .success(())
        }
        if case .failure(let refusal) = result { throw refusal }
        return ReadPermit(limits: self, credential: credential)
    }

    fileprivate func release(_ credential: String) {
        table.withLock { table in
            guard var entry = table[credential] else { return }
            entry.inFlight -= 1
            table[credential] = entry
        }
    }
}

/// One admitted read; released once (by the answer, or when nothing was asked).
final class ReadPermit: @unchecked Sendable {
    private let limits: ReadLimits
    private let credential: String
    private var released = false

    fileprivate init(limits: ReadLimits, credential: String) {
        self.limits = limits
        self.credential = credential
    }

    /// Called on the loop that holds the permit.
    func release() {
        guard !released else { return }
        released = true
        limits.release(credential)
    }

    deinit { release() }
}
