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
        try #require(store.db.query(sql, []).first?.first?.integer)
    }

    private func transaction(_ id: Int64, user: String, cents: Int64, seq: Int64, balance: Int64, payment: String? = nil) -> JournalRecord {
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
        #expect(try store.db.query("SELECT status, phone_digits FROM payments", []).first?.map(\.text) == ["credited", "254700000001"])
        #expect(try count(store, "SELECT count(*) FROM resolutions WHERE by = 'support'") == 1)
        #expect(store.appliedLSN == 3)
        // Reopened: the schema is not applied twice and the position is kept.
        let again = try RecordsStore(path: path)
        #expect(again.appliedLSN == 3)
        #expect(try count(again, "SELECT version FROM livehub_schema") == Int64(RecordsSchema.migrations(.sqlite).count))
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
        try db.execute("UPDATE livehub_schema SET version = 99")
        #expect(throws: RecordsFailure.self) { _ = try RecordsStore(path: path) }
    }
}

@Suite("PostgreSQL URLs in messages")
struct PostgresURLTests {
    @Test(arguments: [("postgres://ann:s3cret@db.local/livehub", "postgres://ann@db.local/livehub"),
                      ("postgres://ann@db.local/livehub", "postgres://ann@db.local/livehub"),
                      ("postgresql://u:p@/livehub?host=/tmp", "postgresql://u@/livehub?host=/tmp"), ("nonsense@", "nonsense@"), ("", "")])
    func thePasswordIsNeverShown(url: String, shown: String) {
        #expect(PostgresConnection.withoutPassword(url) == shown)
    }
}

@Suite("SQLite statements")
struct SQLiteStatementTests {
    /// Parameters are bound on every run (no `sqlite3_clear_bindings`), so a call with too
    /// few values must be refused rather than run with the last call's.
    @Test func parametersOutOfOrderAreRefusedRatherThanBoundToTheWrongValues() throws {
        var template = Array("/tmp/livehub-records-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let db = try SQLiteDatabase(path: dir + "/t.db")
        #expect(try db.query("SELECT $1 - $2", [.integer(5), .integer(3)]).first?.first?.integer == 2)
        #expect(throws: RecordsFailure.self) { try db.query("SELECT $2 - $1", [.integer(5), .integer(3)]) }
    }

    @Test func aCallWithTheWrongNumberOfValuesIsRefused() throws {
        var template = Array("/tmp/livehub-sqlite-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let db = try SQLiteDatabase(path: dir + "/t.db")
        try db.execute("CREATE TABLE t (a TEXT, b TEXT)")
        try db.query("INSERT INTO t VALUES ($1, $2)", [.text("x"), .text("y")])
        #expect(throws: RecordsFailure.self) { try db.query("INSERT INTO t VALUES ($1, $2)", [.text("only one")]) }
        #expect(try db.query("SELECT count(*), max(a), max(b) FROM t", []).first == [.integer(1), .text("x"), .text("y")])
    }
}

@Suite("Retention turns")
struct RetentionTurnTests {
    @Test func aTurnIsTakenOncePerIntervalByWhicheverEngineComesFirst() throws {
        var template = Array("/tmp/livehub-retention-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) } + "/livehub.db"
        // Two engines on one database, as two nodes share one.
        let one = try RecordsStore(path: path), other = try RecordsStore(path: path)
        #expect(try one.takeRetentionTurn(now: 100_000, every: 60_000))
        #expect(try !other.takeRetentionTurn(now: 130_000, every: 60_000), "taken 30 s ago")
        #expect(try !one.takeRetentionTurn(now: 159_999, every: 60_000))
        #expect(try other.takeRetentionTurn(now: 160_000, every: 60_000))
        #expect(try !one.takeRetentionTurn(now: 160_001, every: 60_000))
    }
}
