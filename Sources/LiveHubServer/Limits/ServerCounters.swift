import Reactor
import Synchronization

/// The server's own counters on one event loop (the transport's are in `LoopStats`):
/// written by that loop only, read by `/metrics` from any.
final class ServerCounters: Sendable {
    let beaconsRateLimited = Atomic<Int>(0)
    /// Reads refused by a credential's read limits (`ReadLimits`).
    let readsLimited = Atomic<Int>(0)
    let webhooksRateLimited = Atomic<Int>(0)
    /// Connections refused because their address had `--max-connections-per-ip` open.
    let connectionsPerAddressRefused = Atomic<Int>(0)
    /// Connections closed because the server was near `--max-connections`.
    let connectionsShed = Atomic<Int>(0)
    /// HTTP connections closed because they sent requests and did not read the answers.
    let unreadAnswerCloses = Atomic<Int>(0)

    /// WebSocket data messages received, and queued for sending (room deliveries, replies,
    /// echoes).
    let messagesIn = Atomic<Int>(0), messagesOut = Atomic<Int>(0)
    /// Sockets closed because they read too slowly.
    let slowConsumerCloses = Atomic<Int>(0)
    /// Seller updates skipped for slow sellers (a newer one follows).
    let conflatedDrops = Atomic<Int>(0)
    /// Members of this loop's rooms (`/ws/balance`: all users together).
    let sellerRoomMembers = Atomic<Int>(0), balanceRoomMembers = Atomic<Int>(0), broadcastRoomMembers = Atomic<Int>(0)
    /// The hub's loop only: how long the last idle sweep took, the last snapshot (encode,
    /// write, fsync), and the part of it the hub's loop spent capturing the state.
    let sweepNanoseconds = Atomic<Int>(0), snapshotNanoseconds = Atomic<Int>(0), snapshotCaptureNanoseconds = Atomic<Int>(0)
    /// The hub's loop only: the shop's day's counts handed to the records database, by outcome.
    let rollupsWritten = Atomic<Int>(0), rollupsNotWritten = Atomic<Int>(0)

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
