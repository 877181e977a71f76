import Reactor
import Synchronization

/// The server's own counters on one event loop (the transport's are in `LoopStats`):
/// written by that loop only, read by `/metrics` from any.
final class ServerCounters: Sendable {
    let beaconsRateLimited = Atomic<Int>(0)
    let webhooksRateLimited = Atomic<Int>(0)
    /// Connections closed because the server was near `--max-connections`.
    let connectionsShed = Atomic<Int>(0)
    /// HTTP connections closed because they sent requests and did not read the answers.
    let unreadAnswerCloses = Atomic<Int>(0)

    /// HTTP answers by status class: 1xx … 5xx.
    let responses1xx = Atomic<Int>(0), responses2xx = Atomic<Int>(0), responses3xx = Atomic<Int>(0)
    let responses4xx = Atomic<Int>(0), responses5xx = Atomic<Int>(0)

    func countResponse(status: Int) {
        switch status / 100 {
        case 1: responses1xx.bump()
        case 2: responses2xx.bump()
        case 3: responses3xx.bump()
        case 4: responses4xx.bump()
        default: responses5xx.bump()
        }
    }

    init() {}
}
