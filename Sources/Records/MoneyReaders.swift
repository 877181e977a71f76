import Dispatch
import Hub
import Synchronization

/// Reads of the records database on connections of their own, so no read, however large,
/// holds the money writer's thread: SQLite's write-ahead log lets readers run beside the
/// writer; PostgreSQL gives each reader its own connection. Each reader is a thread with
/// one connection; a read goes to the one with the fewest waiting. A read that runs past
/// `deadline` is stopped (SQLite's progress handler; PostgreSQL's `statement_timeout`) and
/// answered `.cancelled`. At most `maxQueued` reads wait in all: past that, `.busy`.
public final class MoneyReaders: Sendable {
    public struct Configuration: Sendable {
        public var readers = 2
        /// Milliseconds.
        public var deadline: Int64 = 2_000
        public var maxQueued = 64

        public init() {}
    }

    private struct Reader: Sendable {
        let queue: DispatchQueue
        let store: UncheckedBox<RecordsStore>
    }

    private let readers: [Reader]
    private let waiting: Mutex<[Int]>
    private let configuration: Configuration
    private let clock: any WallClock & Sendable

    /// Opens `configuration.readers` connections now (a bad database fails the start).
    public init(database: RecordsDatabase, clock: any WallClock & Sendable, configuration: Configuration) throws(RecordsFailure) {
        var readers: [Reader] = []
        for i in 0..<max(1, configuration.readers) {
            let store: RecordsStore
            switch database {
            case .sqlite:
                store = try database.open()
                (store.db as? SQLiteDatabase)?.enforceDeadline()
            case .postgres(let url):
                // The deadline as a connection option, so a connection made anew after the
                // database restarted keeps it (libpq's `options`: `-c statement_timeout=MS`).
                let separator = url.contains("?") ? "&" : "?"
                store = try RecordsDatabase.postgres(url: url + separator + "options=-c%20statement_timeout%3D\(configuration.deadline)").open()
            }
            readers.append(Reader(queue: DispatchQueue(label: "livehub.reader.\(i)"), store: UncheckedBox(store)))
        }
        self.readers = readers
        self.waiting = Mutex(Array(repeating: 0, count: readers.count))
        self.configuration = configuration
        self.clock = clock
    }

    /// Answers plain reads (`MoneyRead.isPlain`) on a reader; `replies` gets them there.
    public func submit(_ reads: [(read: MoneyRead, token: UInt64)], replies: @escaping MoneyEngine.Replies) {
        guard !reads.isEmpty else { return }
        let chosen = waiting.withLock { counts -> Int? in
            guard counts.reduce(0, +) + reads.count <= configuration.maxQueued,
                  let least = counts.indices.min(by: { counts[$0] < counts[$1] }) else { return nil }
            counts[least] += reads.count
            return least
        }
        guard let chosen else {
            replies(reads.map { ($0.token, .busy) })
            return
        }
        let reader = readers[chosen]
        reader.queue.async { [self] in
            var answers: [(token: UInt64, reply: MoneyReply)] = []
            for (read, token) in reads {
                answers.append((token, answer(read, store: reader.store.value)))
                waiting.withLock { $0[chosen] -= 1 }
            }
            replies(answers)
        }
    }

    private func answer(_ read: MoneyRead, store: RecordsStore) -> MoneyReply {
        let sqlite = store.db as? SQLiteDatabase
        sqlite?.deadline.at = monotonicNanoseconds() + UInt64(configuration.deadline) * 1_000_000
        defer { sqlite?.deadline.at = 0 }
        func cancelled(_ error: RecordsFailure) -> Bool {
            let text = error.description.lowercased()
            return text.contains("interrupt") || text.contains("statement timeout") || text.contains("canceling statement")
        }
        do {
            return try store.answer(read, now: clock.nowMilliseconds) ?? .unavailable("not a plain read")
        } catch {
            if cancelled(error) { return .cancelled }
            // The first statement on a connection the database dropped (it restarted) fails
            // and the next connects anew: a read changes nothing, so it is tried once more.
            do {
                return try store.answer(read, now: clock.nowMilliseconds) ?? .unavailable("not a plain read")
            } catch {
                return cancelled(error) ? .cancelled : .unavailable(error.description)
            }
        }
    }
}
