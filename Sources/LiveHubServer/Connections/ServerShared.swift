import Auth
import Money
import Reactor
import Records

/// What every loop of one server shares: the configuration and the other loops' handles
/// and counters. Immutable after start, so loops read it without locks.
final class ServerShared: Sendable {
    let configuration: ServerConfiguration
    let handles: [EventLoopHandle]
    let stats: [LoopStats]
    /// The server's own counters, one per loop (rate limits, refusals).
    let counters: [ServerCounters]
    let startedAt: UInt64
    let publication = HubPublication()
    let hubMetrics = HubMetrics()
    let staticFiles: StaticFiles
    /// The money side and its records database.
    let money: MoneyEngine
    /// The console's accounts, and the revoked tokens and sessions every request is checked against.
    let accounts: ConsoleAccounts
    /// Reconciliation with the providers' APIs, on its own loop (when a key is set).
    let reconcile = ReconcileService()
    /// Notification emails, on their own loop (when `--smtp-url` is set).
    let email = EmailService()
    var revocations: Revocations { accounts.revocations }
    /// Open connections per client address.
    let connectionsPerAddress: ConnectionsPerAddress
    /// Reads per credential, at once and per second.
    let readLimits: ReadLimits
    /// Streamed exports, each on a reader thread of its own, a few at once.
    let exports: ExportService
    /// The loop that owns the hub.
    var hubHandle: EventLoopHandle { handles[0] }
    /// Each loop's context, for the tasks handed to that loop.
    let contexts: LoopContexts
    /// The way to the hub's services, from any thread.
    var hubInbox: HubInbox { HubInbox(hubLoop: hubHandle, contexts: contexts) }

    init(configuration: ServerConfiguration, handles: [EventLoopHandle], stats: [LoopStats], money: MoneyEngine, accounts: ConsoleAccounts) {
        self.money = money
        self.accounts = accounts
        self.connectionsPerAddress = ConnectionsPerAddress(limit: configuration.maxConnectionsPerAddress)
        self.readLimits = ReadLimits(rule: ReadLimits.Rule(maxInFlight: configuration.readsInFlight,
                                                           ratePerSecond: configuration.readRate.ratePerSecond, burst: configuration.readRate.burst))
        self.configuration = configuration
        self.exports = ExportService(database: configuration.database ?? .sqlite(path: configuration.dataDirectory + "/livehub.db"),
                                     deadline: configuration.readDeadline.milliseconds)
        self.handles = handles
        self.contexts = LoopContexts(count: handles.count)
        self.stats = stats
        self.counters = stats.map { _ in ServerCounters() }
        self.startedAt = EventLoop.now
        self.staticFiles = StaticFiles(root: configuration.webRoot)
    }

    /// One frame to every member of a room on every loop: delivered at once on the
    /// calling loop, and by one task per other loop (not per member). The seller room's
    /// updates and `/ws/broadcast` go through here alike, so the broadcast benchmark
    /// measures the seller path.
    /// `errorsUpTo`: the newest payment error id the frame carries, if it carries errors.
    func deliver(to room: RoomName, _ frame: RoomMessage, conflatable: Bool, except sender: WebSocketEndpointConnection? = nil,
                 errorsUpTo: Int64? = nil, from context: LoopContext) {
        context.deliverLocally(to: room, frame, conflatable: conflatable, except: sender, errorsUpTo: errorsUpTo)
        let contexts = self.contexts
        forEachOtherLoop(than: context.loop.index) { handle in
            handle.execute { loop in
                contexts[loop]?.deliverLocally(to: room, frame, conflatable: conflatable, except: nil, errorsUpTo: errorsUpTo)
            }
        }
    }

    func forEachOtherLoop(than index: Int, _ body: (EventLoopHandle) -> Void) {
        for (i, handle) in handles.enumerated() where i != index { body(handle) }
    }
}
