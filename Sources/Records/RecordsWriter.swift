import Dispatch
import Hub

/// Writes the records database on a thread of its own: the hub's loop hands it each loop
/// turn's journalled records once they are durable and never waits for it. A batch that
/// fails (a full disk) is kept and tried again before the next one, so the database
/// catches up by itself. Past `maxPending` waiting records it stops writing altogether
/// (never a database with a hole in it): the next start brings it up to date from the
/// snapshot and journal, which hold everything.
public final class RecordsWriter: @unchecked Sendable {
    // @unchecked: `store` and `pending` are touched only on `queue`.
    private let queue = DispatchQueue(label: "livehub.records")
    private let store: RecordsStore
    private var pending: [(lsn: UInt64, record: MoneyRecord)] = []
    private var failing = false
    private var behind = false
    public let path: String
    public static let maxPending = 1_000_000

    /// Where the records go: `DATA/livehub.db`, or a PostgreSQL server.
    public enum Database: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: String)

        /// `sqlite` or a `postgres://` / `postgresql://` URL (`--database`); nil otherwise.
        public init?(_ text: String, dataDirectory: String) {
            if text == "sqlite" {
                self = .sqlite(path: dataDirectory + "/livehub.db")
            } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
                self = .postgres(url: text)
            } else {
                return nil
            }
        }
    }

    /// Opens (creating and migrating) the database now, so a bad path or an unreachable
    /// server fails the start with its reason.
    public init(database: Database) throws(RecordsStore.Failure) {
        switch database {
        case .sqlite(let path):
            self.path = path
            store = try RecordsStore(path: path)
        case .postgres(let url):
            let connection = try PostgresConnection(url: url)
            self.path = connection.name
            store = try RecordsStore(connection: connection)
        }
    }

    /// Brings the database up to the hub's state at start, on the writer's thread.
    /// `done` gets what happened, for the start-up notes.
    public func catchUp(snapshotRecords: [MoneyRecord], snapshotLSN: UInt64, journal: [(lsn: UInt64, record: MoneyRecord)],
                        done: @escaping @Sendable (String) -> Void) {
        queue.async { [self] in
            do {
                if store.appliedLSN < snapshotLSN || (store.appliedLSN == 0 && !snapshotRecords.isEmpty) {
                    try store.rebuild(from: snapshotRecords, upTo: snapshotLSN, then: journal)
                    done("records: \(path) rebuilt from the snapshot and journal (up to \(store.appliedLSN))")
                } else {
                    store.prime(with: snapshotRecords)
                    store.prime(with: journal.filter { $0.lsn > snapshotLSN && $0.lsn <= store.appliedLSN }.map(\.record))
                    let behind = journal.filter { $0.lsn > store.appliedLSN }
                    try store.append(behind)
                    done("records: \(path) up to date (\(behind.count) records written at start)")
                }
            } catch {
                done("WARNING: records: \(path): \(error); the hub goes on, the database catches up at the next start")
            }
        }
    }

    /// Queues durable records for the database (in LSN order).
    public func write(_ batch: [(lsn: UInt64, record: MoneyRecord)]) {
        queue.async { [self] in
            guard !behind else { return }
            pending += batch
            if pending.count > Self.maxPending {
                print("livehub: records: \(path) is \(pending.count) records behind; it stops here and is brought up to date at the next start")
                pending = []
                behind = true
                return
            }
            do {
                try store.append(pending)
                pending.removeAll(keepingCapacity: true)
                if failing { print("livehub: records: \(path) writable again, caught up") }
                failing = false
            } catch {
                if !failing { print("livehub: records: \(path): \(error); kept \(pending.count) records to try again") }
                failing = true
            }
        }
    }

    /// Payment errors for the `payment_errors` table. Best effort: a batch that fails is
    /// dropped with a message (the hub keeps its recent errors in memory and snapshots).
    public func write(paymentErrors errors: [PaymentErrorRecord]) {
        queue.async { [self] in
            do {
                try store.append(paymentErrors: errors)
            } catch {
                print("livehub: records: \(path): \(errors.count) payment errors not written: \(error)")
            }
        }
    }

    /// Waits until everything queued so far is written (or has failed).
    public func flush() {
        queue.sync {}
    }

    /// The records database's last LSN, read on the writer's thread.
    public var appliedLSN: UInt64 { queue.sync { store.appliedLSN } }
}
