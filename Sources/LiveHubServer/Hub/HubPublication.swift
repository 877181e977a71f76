import Hub
import Synchronization

/// The hub's readable state as of its last change, published by the hub's loop for every
/// other loop: `GET` reads and seller joins take it under a lock, once per request, and
/// never touch the hub itself. The hub publishes before it answers a write, so a client
/// that got its answer reads its own write.
final class HubPublication: Sendable {
    struct State: Sendable {
        /// What sellers are shown, as counts: encoded (and in cluster mode merged with the
        /// other nodes') by the reader that asks, not on the hub's loop at every change.
        var shown = ShownCounters(own: PresenceCounters(), updatedAt: 0)
        var liveMetrics: [UInt8] { shown.liveMetrics }
        /// Newest first.
        var recentErrors: [PaymentErrorRecord] = []
        var counters = PresenceCounters()
        /// Sessions in the table, active or ended.
        var sessionsKept = 0
        var sessionsRefused = 0
        var sessionsEvicted = 0
        /// Open activation gaps, each as its `payment-gap` message (a seller's join sends them).
        var openGaps: [RoomMessage] = []
        /// How many of them are gaps and how many unmatched.
        var openProblems: [Payment.Problem: Int] = [:]
        /// Their references, and which problem each is.
        var openReferences: [String: Payment.Problem] = [:]
    }

    private let state = Mutex(State())
    /// Problems have been published once (the first publication, at start, opens none).
    private let problemsKnown = Atomic<Bool>(false)

    /// What changed since the last publication: the problems that opened, and those that
    /// were open and are no longer (credited or resolved).
    func publish(openGaps payments: [Payment]) -> (opened: [Payment], closed: [(reference: String, problem: Payment.Problem)]) {
        let frames = payments.map(MoneyMessages.gapFrame)
        var counts: [Payment.Problem: Int] = [:]
        var references: [String: Payment.Problem] = [:]
        for payment in payments {
            if let problem = payment.problem {
                counts[problem, default: 0] += 1
                references[payment.reference] = problem
            }
        }
        let before = state.withLock { current in
            let before = current.openReferences
            current.openGaps = frames
            current.openProblems = counts
            current.openReferences = references
            return before
        }
        let first = !problemsKnown.exchange(true, ordering: .relaxed)
        let opened = first ? [] : payments.filter { $0.problem != nil && before[$0.reference] == nil }
        return (opened, before.filter { references[$0.key] == nil }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    func read() -> State {
        state.withLock { $0 }
    }

    func publish(shown: ShownCounters, counters: PresenceCounters, sessionsKept: Int, sessionsRefused: Int = 0, sessionsEvicted: Int = 0,
                 recentErrors: [PaymentErrorRecord]? = nil) {
        state.withLock { current in
            current.shown = shown
            current.counters = counters
            current.sessionsKept = sessionsKept
            current.sessionsRefused = sessionsRefused
            current.sessionsEvicted = sessionsEvicted
            if let recentErrors { current.recentErrors = recentErrors }
        }
    }
}
