import Dispatch
import Hub
import Records

/// Group commit: what queued while the last batch was written goes in one transaction.
extension MoneyWriter {
    /// Writes first (in one transaction, or one each), then reads from what is committed,
    /// then the effects, then the answers.
    func run(_ batches: [MoneyEngine.Batch]) {
        var writes: [any WriteJob] = []
        var reads: [any WriterRead] = []
        for batch in batches {
            for (_, kind) in batch.jobs {
                switch kind {
                case .write(let job): writes.append(job)
                case .read(let job): reads.append(job)
                case .ordered(let job): reads.append(job)
                }
            }
        }
        var committed: [MoneyEffect] = []
        if !writes.isEmpty {
            if configuration.commitEachWrite {
                for w in writes.indices { commit(writes[w...w], into: &committed) }
            } else {
                commit(writes[...], into: &committed)
            }
        }
        for read in reads { answer(read) }
        if !committed.isEmpty { effects(committed) }
        for batch in batches {
            batch.deliver?(batch.jobs.map(\.index))
        }
    }

    /// The group in one transaction; if the database refuses it, rolled back and every
    /// write in it answered `unavailable`.
    private func commit(_ group: ArraySlice<any WriteJob>, into committed: inout [MoneyEffect]) {
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            var together = true
            var attempts = 1
            while true {
                do {
                    try transaction(group, together: together)
                    break
                } catch where (decidingAgain || error.isContention) && attempts < Self.maxAttempts {
                    // A reference seen before was in a run, a wallet had moved on another
                    // node, or PostgreSQL rolled the transaction back for a deadlock with
                    // another node's: nothing of it is kept, and it is done again one write
                    // at a time, from the ids and balances the database holds.
                    attempts += 1
                    decidingAgain = false
                    together = false
                    forgetCaches()
                    try reloadCounters()
                }
            }
            if erasedInGroup {
                // Cached balances name the old user ids; the log's copies of the rows go.
                erasedInGroup = false
                forgetCaches()
                store.scrubAfterErasure()
            }
            committed += pendingEffects
            committed.append(.committed(writes: group.count, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
        } catch {
            MoneyLog.logger.error("transaction refused, nothing changed",
                                  metadata: ["database": "\(store.name)", "writes": "\(group.count)", "error": "\(error)"])
            for job in group { job.fail(.unavailable(error.description)) }
            decidingAgain = false
            forgetCaches()
            try? reloadCounters()
        }
    }

    /// After a rollback (or an erasure): what was cached may name what is no longer so.
    func forgetCaches() {
        wallets.removeAll()
        unseenCounts.removeAll()
        notificationPreferences.removeAll()
    }

    /// How many times a group is written before its writes are answered `unavailable`:
    /// once together, then one at a time while other nodes keep moving its wallets.
    static let maxAttempts = 4

    /// The group's writes in one transaction: a run of plain ledger writes decided and
    /// written together (`together`), anything else one at a time, in order.
    private func transaction(_ group: ArraySlice<any WriteJob>, together: Bool) throws(RecordsFailure) {
        pendingEffects = []
        problemsChanged = false
        erasedKeys = []
        try store.inTransaction { () throws(RecordsFailure) in
            if sequenced {
                // Every wallet the group writes, locked at once in one order: other nodes'
                // writes for these users wait for this COMMIT, writes for others go on.
                lockedWallets = []
                try lockWallets(Set(group.lazy.compactMap(\.walletUser)))
            }
            var rest = group[...]
            while let first = rest.first {
                let run = together ? Array(rest.lazy.map(\.plainLedger).prefix { $0 != nil }.compactMap { $0 }) : []
                if run.count > 1 {
                    for (job, t) in zip(rest, try ledgerRun(run)) { job.wroteTogether(t) }
                    rest = rest.dropFirst(run.count)
                } else {
                    try first.write(in: self)
                    rest = rest.dropFirst()
                }
            }
            if problemsChanged { pendingEffects.append(.openProblems(try store.openProblems())) }
            if let announcer = configuration.announcer { try announce(as: announcer) }
        }
    }

    /// A read from what is committed. The first statement on a connection the database
    /// dropped (it restarted) fails, and the next one connects anew: a read changes
    /// nothing, so it is tried once more before the caller is told.
    private func answer(_ read: any WriterRead) {
        do {
            try read.read(in: self)
        } catch {
            do {
                try read.read(in: self)
            } catch {
                read.fail(.unavailable(error.description))
            }
        }
    }
}
