import Glibc
import Testing
@testable import Hub
@testable import Records

/// A reader's deadline (`MoneyReaders` arms it per read).
@Suite("A read's deadline")
struct ReadDeadlineTests {
    private func temporaryPath() -> String {
        var template = Array("/tmp/livehub-readers-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        return dir + "/livehub.db"
    }

    @Test func aReadPastItsDeadlineIsStopped() throws {
        let db = try SQLiteDatabase(path: temporaryPath())
        db.enforceDeadline()
        db.deadline.at = monotonicNanoseconds() + 50_000_000
        let started = monotonicNanoseconds()
        #expect(throws: RecordsFailure.self) {
            try db.query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c", [])
        }
        #expect(monotonicNanoseconds() - started < 2_000_000_000, "stopped near its deadline, not run to the end")
        db.deadline.at = 0
        #expect(try db.query("SELECT 1", []).first?.first?.integer == 1, "the connection goes on")
    }
}

@Suite("Accounts' records")
struct AccountRecordsTests {
    @Test func theAuditLogIsKeptAsLongAsAlertsAndNoLonger() throws {
        var template = Array("/tmp/livehub-audit-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let store = try RecordsStore(path: dir + "/livehub.db")
        try store.appendAudit(AuditEntry(at: 1_000, actor: "anonymous", action: "sign_in_failed"))
        try store.appendAudit(AuditEntry(at: 5_000, actor: "alice", action: "sign_in"))
        try store.applyRetention(paymentErrorsBefore: 0, webhookPayloadsFrom: 0, before: 0, alertsBefore: 2_000)
        #expect(try store.audit(before: nil, limit: 10).map(\.action) == ["sign_in"])
    }
}
