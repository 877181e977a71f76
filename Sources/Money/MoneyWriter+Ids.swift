import Hub
import Records

/// Numbers for new rows (ids, LSNs, seqs). SQLite has one writer, which counts from what
/// the database holds (read at start and after a rollback). On PostgreSQL several nodes may
/// write side by side: each number comes from the database's sequence for its kind
/// (`RecordsStore.takeIds`), so no node needs to know what the others took, and none waits
/// for another to number its rows.
extension MoneyWriter {
    /// The number the next row of `kind` gets; it is taken for good by `used(_:)`.
    func nextID(_ kind: RecordIdKind) throws(RecordsFailure) -> Int64 {
        guard sequenced else { return next[kind] }
        if let held = heldIDs[kind.rawValue] { return held }
        let id = try store.takeIds(kind, count: 1)[0]
        heldIDs[kind.rawValue] = id
        return id
    }

    /// The row numbered by `nextID(kind)` was written.
    func used(_ kind: RecordIdKind) {
        if sequenced { heldIDs[kind.rawValue] = nil } else { next[kind] += 1 }
    }

    /// `count` numbers of `kind`, taken for good (a run written together).
    func takeIDs(_ kind: RecordIdKind, count: Int) throws(RecordsFailure) -> [Int64] {
        if sequenced {
            if count == 1, let held = heldIDs[kind.rawValue] {
                heldIDs[kind.rawValue] = nil
                return [held]
            }
            return try store.takeIds(kind, count: count)
        }
        let first = next[kind]
        next[kind] += Int64(count)
        return Array(first..<(first + Int64(count)))
    }

    /// After a rollback: SQLite's counters from what the database holds (PostgreSQL's
    /// sequences never hand a number out twice, rolled back or not).
    func reloadCounters() throws(RecordsFailure) {
        if !sequenced { next = try store.nextCounters() }
    }

    /// PostgreSQL: the wallets' locks for this transaction (`RecordsStore.lockWallets`);
    /// the wallets not cached are read under them. A cached one may be behind another
    /// node's write (its NOTIFY not yet heard, `walletsMoved`): the write decided from it
    /// then changes nothing (`RecordsStore.insertNewTransactionPostgres`), and the group is
    /// done again from the rows.
    func lockWallets(_ users: Set<String>) throws(RecordsFailure) {
        let fresh = users.subtracting(lockedWallets)
        guard sequenced, !fresh.isEmpty else { return }
        if wallets.count + fresh.count > Self.maxCachedWallets { wallets.removeAll(keepingCapacity: true) }
        for (user, wallet) in try store.lockWallets(fresh, reading: fresh.filter { wallets[$0] == nil }) { wallets[user] = wallet }
        lockedWallets.formUnion(fresh)
    }

    /// Cluster mode: balances committed (by any node) up to these seqs; cached wallets
    /// behind them are dropped, to be read under the next write's lock.
    func walletsMoved(_ seqs: [(userId: String, seq: Int64)]) {
        for (user, seq) in seqs where (wallets[user]?.lastSeq ?? .max) < seq {
            wallets[user] = nil
            unseenCounts[user] = nil
        }
    }

    /// The payment's row as it is, for a write that changes it: on PostgreSQL the payment's
    /// lock is taken first, so two nodes do not each change what the other has not yet
    /// committed (`RecordsStore.lockPayment`).
    func paymentForUpdate(_ reference: String) throws(RecordsFailure) -> Payment? {
        try store.lockPayment(reference)
        return try store.payment(reference)
    }
}
