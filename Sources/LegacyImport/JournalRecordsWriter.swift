import Hub
import Records

/// Journal-era money records written as rows of the records database: each record, once,
/// in LSN order, a batch per transaction. A replica `JournalReplay` gives each payment's and
/// wallet's state after the record, so the rows say what the API says.
///
/// The releases that had both the journal and the database kept the last LSN written in
/// `meta` (`applied_lsn`): a data dir they left is taken in from where they stopped.
final class JournalRecordsWriter {
    typealias Failure = RecordsFailure

    let store: RecordsStore
    private let replica = JournalReplay()
    /// The last LSN written, so a record is never written twice.
    private(set) var appliedLSN: UInt64

    init(store: RecordsStore) throws(Failure) {
        self.store = store
        appliedLSN = try store.metaValue("applied_lsn").flatMap { UInt64($0) } ?? 0
    }

    /// The rows the releases with both had not written yet, or all of them when the
    /// database never saw this data dir. Returns what it did, for the start-up notes.
    func takeIn(snapshotRecords: [JournalRecord], snapshotLSN: UInt64, journal: [(lsn: UInt64, record: JournalRecord)]) throws(Failure) -> String {
        if appliedLSN < snapshotLSN || (appliedLSN == 0 && !snapshotRecords.isEmpty) {
            try rebuild(from: snapshotRecords, upTo: snapshotLSN, then: journal)
            return "rebuilt from the snapshot and journal (\(snapshotRecords.count) + \(journal.count) records)"
        }
        prime(with: snapshotRecords)
        prime(with: journal.filter { $0.lsn > snapshotLSN && $0.lsn <= appliedLSN }.map(\.record))
        let behind = journal.filter { $0.lsn > appliedLSN }
        try append(behind)
        return "up to date with the journal (\(behind.count) records written now)"
    }

    /// Rebuilds every money table from the old hub's whole money state (the snapshot's
    /// records and the journal's after it), in one transaction: a database that never saw
    /// this data dir, or that fell behind its snapshot.
    func rebuild(from snapshotRecords: [JournalRecord], upTo snapshotLSN: UInt64, then journal: [(lsn: UInt64, record: JournalRecord)]) throws(Failure) {
        try store.inTransaction { () throws(Failure) in
            try store.emptyMoneyTables()
            // Snapshot records have no LSN of their own: numbered -n … -1, so they sort
            // before the journal's (1, 2, 3 …) in the order they happened.
            var syntheticLSN = -Int64(snapshotRecords.count)
            for record in snapshotRecords {
                try write(record, lsn: syntheticLSN)
                syntheticLSN += 1
            }
            appliedLSN = snapshotLSN
            for (lsn, record) in journal where lsn > snapshotLSN {
                try write(record, lsn: Int64(lsn))
                appliedLSN = lsn
            }
            try store.setMeta("applied_lsn", String(appliedLSN))
            try store.catchUpIdSequences()
        }
    }

    /// Loads the replica without writing rows (the database already has them).
    func prime(with records: [JournalRecord]) {
        for record in records { replica.apply(record) }
    }

    /// Writes the records after `appliedLSN`, in one transaction.
    func append(_ batch: [(lsn: UInt64, record: JournalRecord)]) throws(Failure) {
        let fresh = batch.filter { $0.lsn > appliedLSN }
        guard !fresh.isEmpty else { return }
        let before = appliedLSN
        do {
            try store.inTransaction { () throws(Failure) in
                for (lsn, record) in fresh {
                    try write(record, lsn: Int64(lsn))
                    appliedLSN = lsn
                }
                try store.setMeta("applied_lsn", String(appliedLSN))
            }
        } catch {
            appliedLSN = before
            throw error
        }
    }

    /// One record, as the old hub's state after it (the replica) says.
    private func write(_ record: JournalRecord, lsn: Int64) throws(Failure) {
        replica.apply(record)
        switch record {
        case .transaction(let t):
            try store.insert(t)
            if let reference = t.paymentReference, let p = replica.payment(reference) { try store.save(p) }
        case .paymentEvent(let e):
            try store.insert(e, lsn: lsn)
            if let p = replica.payment(e.reference) { try store.save(p) }
        case .gapOpened(let reference, _), .paymentUnmatched(let reference, _):
            if let p = replica.payment(reference) { try store.save(p) }
        case .paymentResolved(let reference, let note, let by, let at):
            try store.insertResolution(reference: reference, note: note, by: by, at: at, lsn: lsn)
            if let p = replica.payment(reference) { try store.save(p) }
        case .webhookDelivery(let e):
            try store.insert(e)
        case .alert(let a):
            // Delivered (or not) by the hub that raised it.
            try store.insert(a, deliveryStatus: nil)
        case .activity(let a):
            try store.insert(a)
        }
    }
}
