import Cluster
import HTTPClient
import Hub
import Money
import Reactor

/// What the hub's loop runs, one service per concern, each with its own inbox (`HubInbox`):
/// presence (the session table, what readers see, snapshots), the seller broadcast, the
/// cluster's presence and the erasure flow. With them, what needs a loop of the money
/// side's: the alert webhook's deliveries and the gap sweep's tick. No other thread touches
/// any of it.
final class HubServices {
    let presence: PresenceService
    let broadcast: SellerBroadcast
    let cluster: ClusterPresence
    let erasures: ErasureFlow
    let alerts: AlertDispatcher
    /// The money side, on its own thread with the records database.
    let money: MoneyEngine
    private unowned let context: LoopContext

    init(context: LoopContext, clock: WallClock, restoring snapshot: HubSnapshot?, store: SnapshotStore, money: MoneyEngine) {
        self.context = context
        self.money = money
        presence = PresenceService(context: context, clock: clock, restoring: snapshot, store: store, money: money)
        broadcast = SellerBroadcast(context: context, presence: presence)
        cluster = ClusterPresence(context: context, presence: presence)
        erasures = ErasureFlow(context: context, presence: presence)
        alerts = AlertDispatcher(url: context.configuration.alertWebhook.flatMap { OutgoingURL($0) }, loop: context.loop, money: money,
                                 metrics: context.shared.hubMetrics, publicURL: context.configuration.publicURL)
        presence.start(cluster: cluster, broadcast: broadcast)
        let loop = context.loop
        loop.scheduleRepeating(everyNanoseconds: context.configuration.broadcastInterval.nanoseconds) { [unowned self] in
            cluster.publish()  // the node's row is refreshed every interval, changed or not
            broadcast.soon()
        }
        // At once as well: the start's retention pass (what expired while the hub was down)
        // goes ahead of anything this run writes, never into its first second's records.
        money.submit(CheckGaps())
        loop.scheduleRepeating(everyNanoseconds: 1_000_000_000) { [money] in money.submit(CheckGaps()) }
    }

    /// One loop turn's tasks from another loop, each to its service; publishes before the
    /// replies leave, so a client that has its reply reads its own write.
    func apply(batch: [(HubTask, UInt64)], from origin: EventLoopHandle) -> [(UInt64, HubReply)] {
        var replies: [(UInt64, HubReply)] = []
        for (task, token) in batch {
            let replyTo = ReplyAddress(origin: origin, token: token, contexts: context.shared.contexts)
            switch task {
            case .presence(let command):
                let reply = presence.apply(command)
                if token != 0 { replies.append((token, .presence(reply))) }
            case .funnels(let window):
                // From the start of a minute: the checkout funnel counts sessions by the minute they started.
                cluster.funnels(since: (presence.clock.nowMilliseconds - window) / 60_000 * 60_000, replyTo: replyTo)
            case .erasePreview(let key):
                erasures.preview(key, replyTo: replyTo)
            case .erase(let call):
                erasures.erase(call, replyTo: replyTo)
            case .sessions(let person):
                cluster.lookUp(person, replyTo: replyTo)
            }
        }
        presence.publish()
        return replies
    }

    /// Shutdown, once the connections are gone: the state as it is when the hub stops
    /// taking commands is written, then what was queued for the records database, and this
    /// node leaves the cluster.
    func stop() {
        presence.saveSnapshot(final: true)
        presence.flushRollups()
        money.flush()
        cluster.leave()
    }
}
