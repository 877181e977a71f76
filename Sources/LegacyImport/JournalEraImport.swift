import Glibc
import Hub
import Records

/// The one step that takes in a data dir from the journal era (v1/v2: the money in
/// `DATA/journal` and in the snapshot's money section), run at start-up before anything
/// else uses the records database. A release that no longer takes such data dirs in
/// deletes this target.
public enum JournalEraImport {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Takes the old money into the database, then writes the snapshot without it and
    /// moves the journal aside (`journal.imported`): from then on the database alone is
    /// the record. Done once (`journal_retired` in `meta`: an old snapshot.prev could
    /// otherwise bring old money back); a crash midway repeats it harmlessly. Returns what
    /// it did, for the start-up notes.
    public static func run(dataDirectory: String, restored: HubSnapshot?, snapshotStore store: SnapshotStore,
                           records: RecordsStore) throws -> [String] {
        var notes: [String] = []
        let journalPath = dataDirectory + "/journal"
        let hasJournal = access(journalPath, F_OK) == 0
        let snapshotMoney = restored?.legacyMoney
        let snapshotHasMoney = (snapshotMoney?.recordCount ?? 0) > 0
        guard hasJournal || snapshotHasMoney else { return notes }
        if try records.metaValue("journal_retired") == "1" {
            notes.append("WARNING: ignored the money in \(hasJournal ? journalPath : store.path): the records database took it in before")
        } else {
            var journalRecords: [(lsn: UInt64, record: JournalRecord)] = []
            if hasJournal {
                let contents = try Journal.read(path: journalPath)
                journalRecords = contents.records
                if let damage = contents.damage {
                    notes.append("WARNING: \(journalPath): \(damage); the last \(contents.damagedBytes) bytes were not readable (an append that never completed was never acknowledged)")
                }
            }
            let snapshotRecords: [JournalRecord]
            do {
                snapshotRecords = try snapshotMoney.map(JournalRecord.decodeAll) ?? []
            } catch {
                throw Failure(description: "the money section of the snapshot does not read: \(error)")
            }
            let writer = try JournalRecordsWriter(store: records)
            let note = try writer.takeIn(snapshotRecords: snapshotRecords, snapshotLSN: snapshotMoney?.journalLSN ?? 0, journal: journalRecords)
            try records.setMeta("journal_retired", "1")
            notes.append("records: took in the money of the old data dir: \(note)")
        }
        if var presence = restored, snapshotHasMoney {
            presence.legacyMoney = nil
            try store.save(presence)
        }
        if hasJournal && rename(journalPath, journalPath + ".imported") != 0 {
            throw Failure(description: "cannot move \(journalPath) aside: \(String(cString: strerror(errno)))")
        }
        return notes
    }

    /// `livehub snapshot inspect`: what a version-2 snapshot's money section holds.
    public static func describe(_ money: HubSnapshot.LegacyMoney) -> String {
        let records: [JournalRecord]
        do {
            records = try JournalRecord.decodeAll(money)
        } catch {
            return "money (from before the records database): UNREADABLE: \(error)"
        }
        let replay = JournalReplay()
        for record in records { replay.apply(record) }
        return "money (from before the records database): \(replay.transactions.count) transactions for \(replay.userCount) users, "
            + "\(replay.payments.count) payments (\(replay.openGaps.count) open gaps), journal position \(money.journalLSN)"
    }
}
