import Dispatch
import Hub
import Records
import Synchronization

/// Reads of the records database on connections of their own, so no read, however large,
/// holds the money writer's thread: SQLite's write-ahead log lets readers run beside the
/// writer; PostgreSQL gives each reader its own connection. Each reader is a thread with
/// one connection; a read goes to the one with the fewest waiting. A read that runs past
/// `deadline` is stopped (`RecordsDatabase.openReader`) and answered `.cancelled`. At most
/// `maxQueued` reads wait in all: past that, `.busy`.
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
            let store = try database.openReader(deadline: configuration.deadline)
            readers.append(Reader(queue: DispatchQueue(label: "livehub.reader.\(i)"), store: UncheckedBox(store)))
        }
        self.readers = readers
        self.waiting = Mutex(Array(repeating: 0, count: readers.count))
        self.configuration = configuration
        self.clock = clock
    }

    /// Answers reads on a reader; `deliver` gets their places there, once all are answered.
    func submit(_ reads: [(index: Int, job: any ReadJob)], deliver: @escaping MoneyEngine.Deliver) {
        guard !reads.isEmpty else { return }
        let chosen = waiting.withLock { counts -> Int? in
            guard counts.reduce(0, +) + reads.count <= configuration.maxQueued,
                  let least = counts.indices.min(by: { counts[$0] < counts[$1] }) else { return nil }
            counts[least] += reads.count
            return least
        }
        guard let chosen else {
            for (_, job) in reads { job.fail(.busy) }
            deliver(reads.map(\.index))
            return
        }
        let reader = readers[chosen]
        reader.queue.async { [self] in
            for (_, job) in reads {
                answer(job, store: reader.store.value)
                waiting.withLock { $0[chosen] -= 1 }
            }
            deliver(reads.map(\.index))
        }
    }

    private func answer(_ job: any ReadJob, store: RecordsStore) {
        store.setReadDeadline(milliseconds: configuration.deadline)
        defer { store.setReadDeadline(milliseconds: nil) }
        do {
            try job.read(from: store, now: clock.nowMilliseconds)
        } catch {
            if error.isCancellation { return job.fail(.cancelled) }
            // The first statement on a connection the database dropped (it restarted) fails
            // and the next connects anew: a read changes nothing, so it is tried once more.
            do {
                try job.read(from: store, now: clock.nowMilliseconds)
            } catch {
                job.fail(error.isCancellation ? .cancelled : .unavailable(error.description))
            }
        }
    }
}
