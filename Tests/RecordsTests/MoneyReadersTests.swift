import Dispatch
import Glibc
import Synchronization
import Testing
@testable import Hub
@testable import Records

final class FixedClock: WallClock, @unchecked Sendable {
    var nowMilliseconds: Int64 = 1_000_000
}

@Suite("Reads off the writer's thread")
struct MoneyReadersTests {
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

    @Test func plainReadsAreAnsweredByAReaderWhileTheWriterIsBusy() throws {
        let path = temporaryPath()
        let store = try RecordsStore(path: path)
        let writer = try SQLiteDatabase(path: path)
        _ = store
        let readers = try MoneyReaders(database: .sqlite(path: path), clock: FixedClock(), configuration: .init())
        // The writer holds a write transaction open: readers still answer (WAL).
        try writer.execute("BEGIN IMMEDIATE; INSERT INTO meta (key, value) VALUES ('busy', '1')")
        let answered = Mutex<[MoneyReply]>([])
        let done = DispatchSemaphore(value: 0)
        readers.submit([(.balance(userId: "nobody"), 1), (.alerts(limit: 10), 2)]) { replies in
            answered.withLock { $0 += replies.map(\.reply) }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 5) == .success)
        try writer.execute("ROLLBACK")
        let replies = answered.withLock { $0 }
        guard case .balance(_, let balance) = replies.first else { Issue.record("\(replies)"); return }
        #expect(balance == .zero && replies.count == 2)
    }

    @Test func pastItsQueueAReadIsToldBusy() throws {
        var configuration = MoneyReaders.Configuration()
        configuration.readers = 1
        configuration.maxQueued = 1
        let readers = try MoneyReaders(database: .sqlite(path: temporaryPath()), clock: FixedClock(), configuration: configuration)
        let answered = Mutex<[MoneyReply]>([])
        readers.submit([(.alerts(limit: 1), 1), (.alerts(limit: 1), 2)]) { replies in answered.withLock { $0 += replies.map(\.reply) } }
        guard case .busy = answered.withLock({ $0 }).first else { Issue.record("not busy"); return }
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
