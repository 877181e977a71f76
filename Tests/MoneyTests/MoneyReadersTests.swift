import Dispatch
import Glibc
import Synchronization
import Testing
@testable import Hub
@testable import Money
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

    /// The reads of a test batch, handed to the readers as the engine hands them.
    private func submit(_ test: TestBatch, to readers: MoneyReaders, answered: @escaping @Sendable ([(UInt64, Outcome)]) -> Void) {
        let reads = test.batch.jobs.enumerated().compactMap { index, kind -> (index: Int, job: any ReadJob)? in
            guard case .read(let job) = kind else { return nil }
            return (index, job)
        }
        let made = test.batch.answers
        readers.submit(reads) { indices in answered(indices.map { made[$0]() }) }
    }

    @Test func plainReadsAreAnsweredByAReaderWhileTheWriterIsBusy() throws {
        let path = temporaryPath()
        let store = try RecordsStore(path: path)
        let writer = try SQLiteDatabase(path: path)
        _ = store
        let readers = try MoneyReaders(database: .sqlite(path: path), clock: FixedClock(), configuration: .init())
        // The writer holds a write transaction open: readers still answer (WAL).
        try writer.execute("BEGIN IMMEDIATE; INSERT INTO meta (key, value) VALUES ('busy', '1')")
        let answered = Mutex<[Outcome]>([])
        let done = DispatchSemaphore(value: 0)
        var batch = TestBatch()
        batch.balance("nobody", token: 1)
        batch.alerts(limit: 10, token: 2)
        submit(batch, to: readers) { replies in
            answered.withLock { $0 += replies.map(\.1) }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 5) == .success)
        try writer.execute("ROLLBACK")
        let replies = answered.withLock { $0 }
        guard let balance = replies.first?.balance else { Issue.record("\(replies)"); return }
        #expect(balance == .zero && replies.count == 2)
    }

    @Test func pastItsQueueAReadIsToldBusy() throws {
        var configuration = MoneyReaders.Configuration()
        configuration.readers = 1
        configuration.maxQueued = 1
        let readers = try MoneyReaders(database: .sqlite(path: temporaryPath()), clock: FixedClock(), configuration: configuration)
        let answered = Mutex<[Outcome]>([])
        var batch = TestBatch()
        batch.alerts(limit: 1, token: 1)
        batch.alerts(limit: 1, token: 2)
        submit(batch, to: readers) { replies in answered.withLock { $0 += replies.map(\.1) } }
        guard case .alerts(.failure(.busy)) = answered.withLock({ $0 }).first else { Issue.record("not busy"); return }
    }
}
