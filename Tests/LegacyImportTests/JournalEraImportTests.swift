import Glibc
import Testing
@testable import Hub
@testable import LegacyImport
@testable import Records

private func temporaryDirectory() -> String {
    var template = Array("/tmp/livehub-legacy-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
}

private func count(_ store: RecordsStore, _ sql: String) throws -> Int64 {
    try #require(store.db.query(sql, []).first?.first?.integer)
}

@Suite("Journal-era records as rows")
struct JournalRecordsWriterTests {
    private func transaction(_ id: Int64, user: String, cents: Int64, seq: Int64, balance: Int64, payment: String? = nil) -> JournalRecord {
        .transaction(LedgerTransaction(id: id, userId: user, amount: Money(minorUnits: cents), kind: .credit, description: "d", service: nil,
                                       reference: "t\(id)", createdAt: 1_000 * id, balanceAfter: Money(minorUnits: balance), userSeq: seq,
                                       paymentReference: payment))
    }

    @Test func recordsBecomeRowsOnceEachInLSNOrder() throws {
        let path = temporaryDirectory() + "/livehub.db"
        let store = try RecordsStore(path: path)
        let writer = try JournalRecordsWriter(store: store)
        try writer.append([
            (1, .paymentEvent(PaymentEvent(reference: "p1", provider: "paystack", stage: .completed, amount: Money(minorUnits: 500),
                                           phone: "+254 700 000001", receivedAt: 10))),
            (2, transaction(1, user: "u", cents: 500, seq: 1, balance: 500, payment: "p1")),
            (3, .paymentResolved(reference: "p1", note: "checked", by: "support", at: 20)),
        ])
        // The same records again (a retry after a crash): nothing twice.
        try writer.append([(2, transaction(1, user: "u", cents: 500, seq: 1, balance: 500, payment: "p1"))])
        #expect(try count(store, "SELECT count(*) FROM transactions") == 1)
        #expect(try count(store, "SELECT balance_minor FROM wallets WHERE user_id = 'u'") == 500)
        #expect(try store.db.query("SELECT status, phone_digits FROM payments", []).first?.map(\.text) == ["credited", "254700000001"])
        #expect(try count(store, "SELECT count(*) FROM resolutions WHERE by = 'support'") == 1)
        #expect(writer.appliedLSN == 3)
        // Reopened: the position is kept.
        #expect(try JournalRecordsWriter(store: RecordsStore(path: path)).appliedLSN == 3)
    }

    @Test func aRebuildReplacesEverythingWithTheOldHubsState() throws {
        let store = try RecordsStore(path: temporaryDirectory() + "/livehub.db")
        let writer = try JournalRecordsWriter(store: store)
        try writer.append([(1, transaction(1, user: "old", cents: 100, seq: 1, balance: 100))])
        try writer.rebuild(from: [transaction(1, user: "u", cents: 700, seq: 1, balance: 700)], upTo: 5,
                           then: [(4, transaction(9, user: "ignored", cents: 1, seq: 1, balance: 1)),
                                  (6, transaction(2, user: "u", cents: 300, seq: 2, balance: 1000))])
        #expect(try count(store, "SELECT count(*) FROM transactions") == 2)
        #expect(try count(store, "SELECT balance_minor FROM wallets WHERE user_id = 'u'") == 1000)
        #expect(try count(store, "SELECT count(*) FROM wallets WHERE user_id = 'old'") == 0)
        #expect(writer.appliedLSN == 6)
    }
}

/// The e2e suite's data dir (tests/e2e/fixtures/v2-data-dir: a v2 snapshot with money and
/// its journal, the hub killed -9), taken in by the one step.
@Suite("Taking in a journal-era data dir")
struct JournalEraImportTests {
    static let fixture = String(#filePath.prefix(upTo: #filePath.range(of: "/Tests/")!.lowerBound)) + "/tests/e2e/fixtures/v2-data-dir"

    @Test func itIsTakenInOnceAndItsFilesAreRetired() throws {
        let dir = temporaryDirectory()
        for name in ["snapshot", "journal"] {
            let bytes = try #require(try FileBytes.read(Self.fixture + "/" + name))
            let fd = open(dir + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            defer { close(fd) }
            try FileBytes.writeAll(fd, bytes, at: 0, what: name)
        }
        let store = SnapshotStore(directory: dir)
        guard case .loaded(let restored, _) = store.load() else { Issue.record("the fixture's snapshot loads"); return }
        #expect((restored.legacyMoney?.recordCount ?? 0) > 0)
        let records = try RecordsStore(path: dir + "/livehub.db")
        let notes = try JournalEraImport.run(dataDirectory: dir, restored: restored, snapshotStore: store, records: records)
        #expect(notes.contains { $0.hasPrefix("records: took in the money of the old data dir: rebuilt") }, "\(notes)")
        #expect(try count(records, "SELECT count(*) FROM transactions") == 61)
        #expect(try count(records, "SELECT balance_minor FROM wallets WHERE user_id = 'u1'") == 22_450)
        #expect(access(dir + "/journal", F_OK) != 0 && access(dir + "/journal.imported", F_OK) == 0)
        guard case .loaded(let rewritten, _) = store.load() else { Issue.record("the rewritten snapshot loads"); return }
        #expect(rewritten.legacyMoney == nil && rewritten.sessions.count == restored.sessions.count)
        // The old snapshot again (snapshot.prev, say): its money is not taken in twice.
        let again = try JournalEraImport.run(dataDirectory: dir, restored: restored, snapshotStore: store, records: records)
        #expect(again.count == 1 && again[0].hasPrefix("WARNING: ignored the money in"), "\(again)")
        #expect(try count(records, "SELECT count(*) FROM transactions") == 61)
        // A data dir from after: nothing to do.
        #expect(try JournalEraImport.run(dataDirectory: dir, restored: rewritten, snapshotStore: store, records: records).isEmpty)
    }
}
