import Glibc
import Testing
@testable import Hub
@testable import Records

@Suite("Records database")
struct RecordsStoreTests {
    private func temporaryPath() -> String {
        var template = Array("/tmp/livehub-records-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        return dir + "/livehub.db"
    }

    private func count(_ store: RecordsStore, _ sql: String) throws -> Int64 {
        try #require(store.db.prepare(sql).rows().first?.first?.integer)
    }

    private func transaction(_ id: Int64, user: String, cents: Int64, seq: Int64, balance: Int64, payment: String? = nil) -> MoneyRecord {
        .transaction(LedgerTransaction(id: id, userId: user, amount: Money(minorUnits: cents), kind: .credit, description: "d", service: nil,
                                       reference: "t\(id)", createdAt: 1_000 * id, balanceAfter: Money(minorUnits: balance), userSeq: seq,
                                       paymentReference: payment))
    }

    @Test func recordsBecomeRowsOnceEachInLSNOrder() throws {
        let path = temporaryPath()
        let store = try RecordsStore(path: path)
        try store.append([
            (1, .paymentEvent(PaymentEvent(reference: "p1", provider: "paystack", stage: .completed, amount: Money(minorUnits: 500),
                                           phone: "+254 700 000001", receivedAt: 10))),
            (2, transaction(1, user: "u", cents: 500, seq: 1, balance: 500, payment: "p1")),
            (3, .paymentResolved(reference: "p1", note: "checked", by: "support", at: 20)),
        ])
        // The same records again (a retry after a crash): nothing twice.
        try store.append([(2, transaction(1, user: "u", cents: 500, seq: 1, balance: 500, payment: "p1"))])
        #expect(try count(store, "SELECT count(*) FROM transactions") == 1)
        #expect(try count(store, "SELECT balance_minor FROM wallets WHERE user_id = 'u'") == 500)
        #expect(try store.db.prepare("SELECT status, phone_digits FROM payments").rows().first?.map(\.text) == ["credited", "254700000001"])
        #expect(try count(store, "SELECT count(*) FROM resolutions WHERE by = 'support'") == 1)
        #expect(store.appliedLSN == 3)
        // Reopened: the schema is not applied twice and the position is kept.
        let again = try RecordsStore(path: path)
        #expect(again.appliedLSN == 3)
        #expect(try count(again, "PRAGMA user_version") == Int64(RecordsSchema.migrations.count))
    }

    @Test func aRebuildReplacesEverythingWithTheHubsState() throws {
        let store = try RecordsStore(path: temporaryPath())
        try store.append([(1, transaction(1, user: "old", cents: 100, seq: 1, balance: 100))])
        try store.rebuild(from: [transaction(1, user: "u", cents: 700, seq: 1, balance: 700)], upTo: 5,
                          then: [(4, transaction(9, user: "ignored", cents: 1, seq: 1, balance: 1)),
                                 (6, transaction(2, user: "u", cents: 300, seq: 2, balance: 1000))])
        #expect(try count(store, "SELECT count(*) FROM transactions") == 2)
        #expect(try count(store, "SELECT balance_minor FROM wallets WHERE user_id = 'u'") == 1000)
        #expect(try count(store, "SELECT count(*) FROM wallets WHERE user_id = 'old'") == 0)
        #expect(store.appliedLSN == 6)
    }

    @Test func aDatabaseFromANewerBuildIsRefused() throws {
        let path = temporaryPath()
        _ = try RecordsStore(path: path)
        let db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA user_version = 99")
        #expect(throws: SQLiteDatabase.Failure.self) { _ = try RecordsStore(path: path) }
    }
}
