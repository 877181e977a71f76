import Hub
import Logging
import Records

/// The money engine's writer, on its thread: its working state (the next ids, the wallets
/// written lately, the alert rules' recent history, what the transaction being written
/// changed) and what the flows share (a ledger write, a payment's report, an alert raised).
/// A write operation gets it in `MoneyWriteOperation.write(in:)`; everything else is read
/// from the database when needed.
public final class MoneyWriter {
    let store: RecordsStore
    let clock: WallClock
    let configuration: MoneyEngine.Configuration
    let effects: @Sendable ([MoneyEffect]) -> Void
    let alertRules: AlertRules

    /// SQLite: the next ids, from what the database holds (at start, and after a rollback).
    var next: RecordCounters
    /// PostgreSQL: ids come from the database's sequences (`MoneyWriter+Ids`).
    let sequenced: Bool
    /// PostgreSQL: a number taken from a sequence for a row not yet written, by kind.
    var heldIDs = [Int64?](repeating: nil, count: RecordIdKind.allCases.count)
    var lastRetention: Int64 = 0
    /// Webhook payloads received before this have been emptied (0 at start: the first pass
    /// looks at them all, later ones only at what aged since).
    var lastPayloadCutoff: Int64 = 0
    var nextOrphanCheck: Int64 = 0
    /// Cluster mode: the last of the other nodes' payment errors read (nil: not known yet;
    /// set at start, so what was recorded before is not announced again).
    var lastClusterError: Int64?

    /// The transaction's effects, sent after its COMMIT.
    var pendingEffects: [MoneyEffect] = []
    /// The transaction changed the open problems (announced, and read again for the rooms).
    var problemsChanged = false
    /// The people the transaction erased (announced to the other nodes; cached wallets and
    /// the log's copies of the rows go after its COMMIT).
    var erasedKeys: [PersonKey] = []
    var erasedInGroup = false
    /// A run of ledger writes found one it must decide again (a reference seen before, a
    /// balance out of range): the group is rolled back and written one write at a time.
    var decidingAgain = false
    /// What of the unverified deliveries this hour the webhook log has kept.
    var unverifiedBudget = UnverifiedBudget()
    /// Balances and seqs of the users written lately, so a write reads nothing back: a
    /// cache (cleared after a rollback, and when it grows past `maxCachedWallets`).
    /// On PostgreSQL, wallets not cached are read under the transaction's wallet locks
    /// (`lockWallets`), and cached ones another node moved are dropped (`walletsMoved`).
    var wallets: [String: (balance: Money, lastSeq: Int64)] = [:]
    static let maxCachedWallets = 100_000
    /// PostgreSQL: the users whose wallet locks this transaction holds.
    var lockedWallets: Set<String> = []
    /// Users' notification preferences and unseen counts, read once and kept up to date by
    /// this writer's own changes (`MoneyWriter+Notifications`); the users whose pushes
    /// carry the count (a socket of theirs asked).
    var notificationPreferences: [String: NotificationPreferences] = [:]
    var unseenCounts: [String: Int] = [:]
    var watchingUnseen: Set<String> = []

    init(store: RecordsStore, clock: WallClock, configuration: MoneyEngine.Configuration,
         effects: @escaping @Sendable ([MoneyEffect]) -> Void) throws(RecordsFailure) {
        self.store = store
        self.clock = clock
        self.configuration = configuration
        self.effects = effects
        alertRules = AlertRules(configuration: configuration.alertRules)
        sequenced = store.dialect == .postgres
        next = sequenced ? RecordCounters() : try store.nextCounters()
    }

    func resume() {
        do {
            let problems = try store.openProblems()
            if configuration.announcer != nil { lastClusterError = try store.lastClusterPaymentError() }
            let now = clock.nowMilliseconds
            let pending = try store.claimPendingAlerts(node: deliveryNode, until: now + Self.alertLease, now: now, own: true)
            effects([.openProblems(problems)] + pending.map { .alertRaised($0.alert, deliver: true, announce: false) })
            if !pending.isEmpty { MoneyLog.logger.notice("resuming pending alert deliveries", metadata: ["alerts": "\(pending.count)"]) }
        } catch {
            MoneyLog.logger.error("open problems and pending alerts not loaded", metadata: ["error": "\(error)"])
        }
    }

    func wallet(_ userId: String) throws(RecordsFailure) -> (balance: Money, lastSeq: Int64) {
        if sequenced { try lockWallets([userId]) }
        if let cached = wallets[userId] { return cached }
        let stored = try store.wallet(userId)
        if wallets.count >= Self.maxCachedWallets { wallets.removeAll(keepingCapacity: true) }
        wallets[userId] = stored
        return stored
    }

    // MARK: alerts

    /// How long an alert's delivery is a node's before another may take it over. The node
    /// renews its leases every 10 s while it lives (`takeOverOrphanedAlerts`), so a delivery
    /// with all its retries stays its own, and one whose node died is taken over within
    /// 30–40 s.
    static let alertLease: Int64 = 30_000
    /// Who delivers this engine's alerts: the node, or (one hub) "local".
    var deliveryNode: String { configuration.announcer ?? "local" }

    /// An alert committed with the write that raised it: the outbox row is `pending` until
    /// the webhook takes it.
    func raise(_ draft: AlertRules.Draft, now: Int64) throws(RecordsFailure) {
        let alert = Alert(id: try nextID(.alert), kind: draft.kind, title: draft.title, message: draft.message,
                          userId: draft.userId, reference: draft.reference, createdAt: now)
        try store.insert(alert, deliveryStatus: configuration.deliversAlerts ? AlertDelivery.Status.pending.rawValue : AlertDelivery.Status.notConfigured.rawValue,
                         lease: configuration.deliversAlerts ? (deliveryNode, now + Self.alertLease) : nil)
        used(.alert)
        pendingEffects.append(.alertRaised(alert, deliver: configuration.deliversAlerts, announce: true))
    }

    /// Cluster mode, every 10 s: this node's leases are renewed, and alerts whose node died
    /// mid-delivery (their lease ran out) are delivered from here. Committed with the gap
    /// sweep; delivered after the COMMIT.
    func takeOverOrphanedAlerts(now: Int64) throws(RecordsFailure) {
        guard configuration.announcer != nil, configuration.deliversAlerts, now >= nextOrphanCheck else { return }
        nextOrphanCheck = now + 10_000
        try store.renewAlertLeases(node: deliveryNode, until: now + Self.alertLease)
        let orphans = try store.claimPendingAlerts(node: deliveryNode, until: now + Self.alertLease, now: now, own: false)
        for row in orphans { pendingEffects.append(.alertRaised(row.alert, deliver: true, announce: false)) }
        if !orphans.isEmpty { MoneyLog.logger.notice("taking over alert deliveries", metadata: ["alerts": "\(orphans.count)"]) }
    }

    // MARK: payment errors

    /// Payment errors as the presence side records them, in a transaction of their own;
    /// in cluster mode the rows name this node and the other nodes are told to read them.
    /// Best effort: a batch that fails is dropped with a message.
    func record(paymentErrors errors: [PaymentErrorRecord]) {
        guard !errors.isEmpty else { return }
        let node = configuration.announcer
        do {
            try store.inTransaction { () throws(RecordsFailure) in
                try store.insert(paymentErrors: errors, node: node)
                if let node { try store.notify([(MoneyChannel.paymentErrors, node)]) }
            }
        } catch {
            MoneyLog.logger.error("payment errors not written", metadata: ["errors": "\(errors.count)", "error": "\(error)"])
        }
    }
}

enum MoneyLog {
    static let logger = Logger(label: "livehub.money")
}
