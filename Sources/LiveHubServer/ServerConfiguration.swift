import Phones
import Hub
import Money
import Records
import Webhooks
import WebSocketDeflate

/// Everything `livehub serve` can be told. Durations are `Duration`s (converted once, where
/// each layer's clock takes them: `DurationUnits.swift`), sizes are bytes.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Event loops (threads); by default one per core.
    public var loops = 1
    public var maxMessageSize = 1 << 20
    public var maxBodySize = 1 << 20
    public var maxHeadSize = 16 * 1024
    public var testEndpoints = false

    /// A request head must arrive within this time once started (slowloris).
    public var requestTimeout: Duration = .seconds(10)
    /// An idle keep-alive connection is closed after this.
    public var keepAliveTimeout: Duration = .seconds(60)
    /// A WebSocket silent this long is pinged; if the pong does not come within the same
    /// time again, it is closed as dead.
    public var pingInterval: Duration = .seconds(30)
    /// How long a closing connection may take to finish the close handshake.
    public var closeTimeout: Duration = .seconds(5)
    /// Above this many queued bytes a connection is "slow": conflatable updates skip it.
    public var highWatermark = 256 * 1024
    /// Above this many queued bytes a slow consumer is disconnected (close code 4008).
    public var maxBackpressure = 4 << 20

    /// A session idle longer than this ends at the next sweep.
    public var idleTimeout: Duration = .seconds(30 * 60)
    public var sweepInterval: Duration = .seconds(30)
    /// A session whose last `/ws/track` socket closed ends this long after, unless its next
    /// page opens one (or sends a beacon) first: a navigation is not an exit.
    public var tabCloseGrace: Duration = .seconds(3)
    /// Sellers get at most one metrics update per interval (latest value wins).
    public var broadcastInterval: Duration = .milliseconds(250)
    /// Key of the HS256 tokens.
    public var secret: [UInt8] = []
    /// `Authorization: Bearer <api key>` for server APIs; empty: no API key accepted.
    public var apiKey = ""
    /// Origins whose pages may send beacons; empty: any origin.
    public var allowedOrigins: [String] = []
    /// Where the secret, snapshots and journal live.
    public var dataDirectory = "./data"
    /// The whole hub is written to disk this often (and on shutdown).
    public var snapshotInterval: Duration = .seconds(30)
    /// Where the dashboard, demo store and tracker are served from.
    public var webRoot = "web"

    /// RFC 7692 permessage-deflate, offered by most browsers.
    public var compression = PerMessageDeflate.Configuration()

    /// PEM certificate chain and key: with both, the port speaks TLS only (https, wss).
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?

    /// A payment the provider confirmed but that is not credited this long after is a gap.
    public var gapGrace: Duration = .seconds(5 * 60)
    /// The shop's currency (ISO 4217): a payment event with an amount and no currency is in
    /// it, and reports show it first.
    public var currency = "USD"
    /// Phone numbers are kept and compared as E.164; numbers written without "+country"
    /// are read in `--default-phone-region` (none: such a number is kept as written).
    public var phones = PhoneNormalizer(defaultRegion: nil)!
    /// Where people reach the hub (`https://hub.example.com`): the base of the links pushes
    /// carry and alerts cite (nil: links are paths on the hub).
    public var publicURL: String?
    /// `--fsync`: the money engine's commits, one per batch (group commit) or per write.
    public var fsyncPolicy = CommitPolicy.batch
    /// A deduction above this raises an alert.
    public var alertLargeDeduction = Money(minorUnits: 5000)
    /// Payment errors and activity are forgotten after these (contract: 30 and 90 days).
    public var errorRetention: Duration = .seconds(30 * 86_400)
    public var activityRetention: Duration = .seconds(90 * 86_400)
    /// Ended sessions (and their page visits) are forgotten after this.
    public var sessionRetention: Duration = .seconds(86_400)
    public var webhookPayloadRetention: Duration = .seconds(30 * 86_400)
    public var alertRetention: Duration = .seconds(365 * 86_400)
    /// Where alerts are POSTed (Discord- or Slack-shaped); nil: seller room only.
    public var alertWebhook: String?
    /// `--notify`: besides alerts, the good news and warnings seed 003's channel had.
    public var notifyCredited = true
    public var notifyWebhookFailures = true
    /// Provider webhook secrets; a provider without one refuses every delivery.
    public var paystackSecret: String?
    public var nowpaymentsSecret: String?
    public var stripeSecret: String?
    /// The secret path segment of `/api/webhooks/mpesa/{token}`.
    public var mpesaToken: String?
    /// The providers' APIs, asked about payments in doubt (`Reconciler`).
    public var providerAPIs = ProviderAPISettings()
    public var shopDay = ShopDaySettings()
    /// Notifications: templates, default channels, critical kinds.
    public var notifications = NotificationSettings()
    /// Notification emails (`--smtp-url`, `--smtp-from`, `--email-digest`).
    public var email = EmailSettings()
    /// How much of a client's IP address is kept (`--ip-privacy`).
    public var ipPrivacy: IPPrivacy = .truncate

    /// The providers' verifiers, from the secrets above.
    var webhookVerifiers: WebhookVerifiers {
        WebhookVerifiers(paystackSecret: paystackSecret, nowpaymentsSecret: nowpaymentsSecret, stripeSecret: stripeSecret, mpesaToken: mpesaToken)
    }

    // Limits: every public endpoint is on the internet.
    /// Beacons (HTTP and `/ws/track` messages) per client IP: sized for a busy shop whose
    /// shoppers share one NAT address.
    public var beaconRate = RateLimiter.Rule(ratePerSecond: 200, burst: 2000)
    /// Provider webhook deliveries per client IP.
    public var webhookRate = RateLimiter.Rule(ratePerSecond: 20, burst: 200)
    /// Proxies whose `X-Forwarded-For` names the client (a hub behind nginx).
    public var trustedProxies: [AddressRange] = []
    /// Sessions kept in memory, live and recently ended.
    public var maxSessions = 1_000_000
    /// Distinct names per live-metrics map; the rest count under "other".
    public var maxTrackedKeys = 100
    /// Open client connections; 0: a little below the descriptor limit.
    public var maxConnections = 0
    /// Open connections from one client address (trusted proxies excepted); 0: no cap (a
    /// shop's shoppers may share one NAT address, a tab a socket each).
    public var maxConnectionsPerAddress = 0

    /// The records database: SQLite in the data dir, or PostgreSQL (`--database`).
    public var database: RecordsDatabase?
    /// This node's name in `cluster_nodes` (`--node-id`; default host:port). PostgreSQL
    /// records make a hub a cluster node: the others are the hubs on the same database.
    public var nodeID: String?

    /// Reads of the records database or of every session per credential (`--read-rate`),
    /// and at once (`--reads-in-flight`).
    public var readRate = RateLimiter.Rule(ratePerSecond: 50, burst: 100)
    public var readsInFlight = 8
    /// A read of the records database is stopped after this (`--read-deadline`).
    public var readDeadline: Duration = .seconds(2)
    /// `--internal-address HOST:PORT`: /metrics and the admin API (audit, revocation, links,
    /// erasure, cleanup) are served there and not on the public port (as Centrifugo's
    /// internal port); nil: everything on the public port.
    public var internalAddress: (host: String, port: Int)?

    public init() {}
}
