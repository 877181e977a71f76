import Dispatch
import Hub
import Logging
import Synchronization

/// The money side of the hub, on a thread of its own with the records database as its only
/// record: no loop that serves beacons ever waits for it. Commands queue up while a batch
/// is being written and go together in the next one (group commit: one transaction, one
/// sync, for all of them); with `commitEachWrite` every write is its own transaction.
/// Every answer, balance push and alert of a batch leaves only after its COMMIT; a batch
/// the database refuses is rolled back and answered `unavailable`, changing nothing.
public final class MoneyEngine: Sendable {
    public struct Configuration: Sendable {
        /// `--fsync`: a transaction per batch, or per write.
        public var commitPolicy = CommitPolicy.batch
        /// `--fsync always`: a transaction (and a sync) per write, not per batch.
        var commitEachWrite: Bool { commitPolicy == .always }
        /// How long a confirmed payment may wait for its credit before it is a gap.
        public var gapGrace: Int64 = 5 * 60_000
        public var alertRules = AlertRules.Configuration()
        /// Alerts are queued for `--alert-webhook` (otherwise marked not configured).
        public var deliversAlerts = false
        /// Activity older than this is deleted.
        public var activityRetention: Int64 = 90 * 86_400_000
        /// Payment errors (as the database keeps them) older than this are deleted.
        public var paymentErrorRetention: Int64 = 30 * 86_400_000
        /// Webhook deliveries keep their payload and headers this long; the row (provider,
        /// time, outcome, reference) stays with the payment.
        public var webhookPayloadRetention: Int64 = 30 * 86_400_000
        /// Alerts older than this are deleted, once their delivery is settled.
        public var alertRetention: Int64 = 365 * 86_400_000
        /// Cluster mode: this node's id, with which its transactions announce to the other
        /// nodes (NOTIFY) the balances, problems and alerts they changed.
        public var announcer: String?

        public init() {}
    }

    /// One caller's commands with their tokens, and where their answers go.
    public typealias Replies = @Sendable ([(token: UInt64, reply: MoneyReply)]) -> Void
    private struct Batch {
        var commands: [(command: MoneyCommand, token: UInt64)]
        var replies: Replies?
    }

    private struct Inbox {
        var batches: [Batch] = []
        var scheduled = false
    }

    private let inbox = Mutex(Inbox())
    private let queue = DispatchQueue(label: "livehub.money")
    /// Touched only on `queue`.
    private let state: UncheckedBox<EngineState>
    public let databaseName: String

    /// Opens (creating and migrating) the database now, so a bad path or an unreachable
    /// server fails the start with its reason.
    public init(store: RecordsStore, clock: WallClock, configuration: Configuration,
                effects: @escaping @Sendable ([MoneyEffect]) -> Void) throws(RecordsFailure) {
        databaseName = store.db.name
        let state = EngineState(store: store, clock: clock, configuration: configuration, effects: effects)
        try state.loadCounters()
        self.state = UncheckedBox(state)
    }

    /// Tells the rooms what the database holds that they need from the start (the open
    /// problems) and resumes the alert deliveries a previous run left pending.
    public func start() {
        queue.async { [state] in state.value.resume() }
    }

    /// Where plain reads go instead of the writer's thread (`attach(readers:)`).
    private let readers = Mutex<MoneyReaders?>(nil)

    /// From now on, plain reads (`MoneyRead.isPlain`) are answered by `readers`.
    public func attach(readers: MoneyReaders) { self.readers.withLock { $0 = readers } }

    /// Queues commands (tokens are the caller's own); `replies` gets every answer, on the
    /// engine's thread after the batch's COMMIT, and plain reads' on a reader's (so
    /// `replies` may be called more than once, each command answered once).
    public func submit(_ commands: [(command: MoneyCommand, token: UInt64)], replies: Replies?) {
        var commands = commands
        if let replies, let readers = readers.withLock({ $0 }) {
            var plain: [(read: MoneyRead, token: UInt64)] = []
            commands.removeAll { entry in
                guard case .read(let read) = entry.command, read.isPlain else { return false }
                plain.append((read, entry.token))
                return true
            }
            readers.submit(plain, replies: replies)
            if commands.isEmpty { return }
        }
        let schedule = inbox.withLock { inbox -> Bool in
            inbox.batches.append(Batch(commands: commands, replies: replies))
            if inbox.scheduled { return false }
            inbox.scheduled = true
            return true
        }
        if schedule { queue.async { [self] in drain() } }
    }

    public func submit(_ command: MoneyCommand) { submit([(command, 0)], replies: nil) }

    /// Payment errors for the `payment_errors` table, in a transaction of their own. Best
    /// effort: a batch that fails is dropped with a message (presence keeps its recent
    /// errors in memory and snapshots).
    public func record(paymentErrors errors: [PaymentErrorRecord]) {
        queue.async { [state] in
            do {
                try state.value.store.append(paymentErrors: errors, node: state.value.configuration.announcer)
            } catch {
                RecordsLog.logger.error("payment errors not written", metadata: ["errors": "\(errors.count)", "error": "\(error)"])
            }
        }
    }

    /// Waits until everything queued so far is written and answered.
    public func flush() {
        while true {
            queue.sync {}
            if inbox.withLock({ !$0.scheduled && $0.batches.isEmpty }) { return }
        }
    }

    private func drain() {
        let batches = inbox.withLock { inbox -> [Batch] in
            defer { inbox.batches = []; inbox.scheduled = false }
            return inbox.batches
        }
        state.value.run(batches.map { ($0.commands, $0.replies) })
    }
}

/// A value handed to the engine's queue, which alone touches it.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
