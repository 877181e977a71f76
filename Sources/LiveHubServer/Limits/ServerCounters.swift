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

    init() {}
}
