import Dispatch
import Hub
import Logging
import Records
import Synchronization

/// The money side of the hub, on a thread of its own with the records database as its only
/// record: no loop that serves beacons ever waits for it. Operations queue up while a batch
/// is being written and go together in the next one (group commit: one transaction, one
/// sync, for all of them); with `CommitPolicy.always` every write is its own transaction.
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
        /// `--reconcile-after`: a payment not confirmed this long after it was first seen is
        /// asked about (nil: payments are never scheduled for the providers' APIs).
        public var reconcileAfter: Int64?
        /// Notifications: their words, the hub's default channels, and the kinds that always go.
        public var notifications = NotificationSettings()
        /// Cluster mode: this node's id, with which its transactions announce to the other
        /// nodes (NOTIFY) the balances, problems and alerts they changed.
        public var announcer: String?

        public init() {}
    }

    /// Says which of a batch's jobs (by their place in it) are answered: called once per
    /// part of the batch (the writer's, a reader's), on that part's thread.
    typealias Deliver = @Sendable ([Int]) -> Void

    /// One caller's jobs, each with its place in what the caller submitted.
    struct Batch {
        var jobs: [(index: Int, kind: JobKind)]
        var deliver: Deliver?
    }

    private struct Inbox {
        var batches: [Batch] = []
        var scheduled = false
    }

    private let inbox = Mutex(Inbox())
    private let queue = DispatchQueue(label: "livehub.money")
    /// Touched only on `queue`.
    private let writer: UncheckedBox<MoneyWriter>
    public let databaseName: String

    /// Opens (creating and migrating) the database now, so a bad path or an unreachable
    /// server fails the start with its reason.
    public init(store: RecordsStore, clock: WallClock, configuration: Configuration,
                effects: @escaping @Sendable ([MoneyEffect]) -> Void) throws(RecordsFailure) {
        databaseName = store.name
        writer = UncheckedBox(try MoneyWriter(store: store, clock: clock, configuration: configuration, effects: effects))
    }

    /// Tells the rooms what the database holds that they need from the start (the open
    /// problems) and resumes the alert deliveries a previous run left pending.
    public func start() {
        queue.async { [writer] in writer.value.resume() }
    }

    /// Where plain reads go instead of the writer's thread (`attach(readers:)`).
    private let readers = Mutex<MoneyReaders?>(nil)

    /// From now on, reads (`MoneyReadOperation`) are answered by `readers`.
    public func attach(readers: MoneyReaders) { self.readers.withLock { $0 = readers } }

    /// Queues a batch of operations; `answers` gets their answers on the writer's thread
    /// after the batch's COMMIT, and reads' on a reader's (so `answers` may be called more
    /// than once, each operation answered once). Each `MoneyAnswer` makes its answer when
    /// called, wherever the caller calls it.
    public func submit<Answer>(_ batch: MoneyBatch<Answer>, answers: @escaping @Sendable ([MoneyAnswer<Answer>]) -> Void) {
        let made = batch.answers
        enqueue(batch.jobs, deliver: { answered in answers(answered.map { made[$0] }) })
    }

    /// Queues one operation; `reply` gets its result on the thread that answered it.
    public func submit<Operation: MoneyOperation>(_ operation: Operation,
                                                  reply: @escaping @Sendable (MoneyResult<Operation.Reply>) -> Void) {
        let job = operation.job()
        let box = job.box
        enqueue([job.kind], deliver: { _ in reply(box.result) })
    }

    /// Queues one operation whose answer nobody waits for.
    public func submit<Operation: MoneyOperation>(_ operation: Operation) {
        enqueue([operation.job().kind], deliver: nil)
    }

    private func enqueue(_ jobs: [JobKind], deliver: Deliver?) {
        var forWriter: [(index: Int, kind: JobKind)] = []
        forWriter.reserveCapacity(jobs.count)
        if let deliver, let readers = readers.withLock({ $0 }) {
            var reads: [(index: Int, job: any ReadJob)] = []
            for (index, kind) in jobs.enumerated() {
                if case .read(let job) = kind { reads.append((index, job)) } else { forWriter.append((index, kind)) }
            }
            readers.submit(reads, deliver: deliver)
            if forWriter.isEmpty { return }
        } else {
            for (index, kind) in jobs.enumerated() { forWriter.append((index, kind)) }
        }
        let schedule = inbox.withLock { inbox -> Bool in
            inbox.batches.append(Batch(jobs: forWriter, deliver: deliver))
            if inbox.scheduled { return false }
            inbox.scheduled = true
            return true
        }
        if schedule { queue.async { [self] in drain() } }
    }

    /// Payment errors for the `payment_errors` table, in a transaction of their own. Best
    /// effort: a batch that fails is dropped with a message (presence keeps its recent
    /// errors in memory and snapshots).
    public func record(paymentErrors errors: [PaymentErrorRecord]) {
        queue.async { [writer] in writer.value.record(paymentErrors: errors) }
    }

    /// Cluster mode: balances committed (by any node) up to these seqs (their NOTIFY);
    /// the writer drops the cached wallets they leave behind.
    public func walletsMoved(_ seqs: [(userId: String, seq: Int64)]) {
        queue.async { [writer] in writer.value.walletsMoved(seqs) }
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
        writer.value.run(batches)
    }
}

/// A value handed to a queue, which alone touches it.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
