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

    @Test func aReopenedDatabaseIsNotMigratedTwice() throws {
        let path = temporaryPath()
        _ = try RecordsStore(path: path)
        let again = try RecordsStore(path: path)
        #expect(try count(again, "SELECT version FROM livehub_schema") == Int64(RecordsSchema.migrations(.sqlite).count))
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
