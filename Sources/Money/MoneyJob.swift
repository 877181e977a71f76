import Hub
import Records

/// An operation as the engine runs it, and where its result waits to be answered. Made by
/// `MoneyOperation.job()`; nothing outside the engine looks inside.
public struct MoneyJob<Reply: Sendable>: Sendable {
    let kind: JobKind
    let box: ResultBox<Reply>

    init<Job: ResultBox<Reply> & WriteJob>(write job: Job) { (kind, box) = (.write(job), job) }
    init<Job: ResultBox<Reply> & ReadJob>(read job: Job) { (kind, box) = (.read(job), job) }
    init<Job: ResultBox<Reply> & WriterRead>(ordered job: Job) { (kind, box) = (.ordered(job), job) }
}

/// A job whatever its reply: where the engine sends it.
enum JobKind: Sendable {
    case write(any WriteJob)
    case read(any ReadJob)
    case ordered(any WriterRead)
}

/// An operation's result: set on the thread that runs it, read where it is answered, after
/// the hand-over (a queue or a loop's task) that orders the two.
class ResultBox<Reply: Sendable>: @unchecked Sendable {
    var result: MoneyResult<Reply> = .failure(.unavailable("not answered"))
}

protocol WriteJob: AnyObject, Sendable {
    /// A ledger write that credits no payment: decided with the run of them around it.
    var plainLedger: LedgerEntry? { get }
    /// The user whose wallet it writes, if it is known before it runs (locked with the
    /// group's on PostgreSQL; a wallet found later is locked when it is read).
    var walletUser: String? { get }
    func write(in writer: MoneyWriter) throws(RecordsFailure)
    /// Written in a run of plain ledger writes (`MoneyWriter.ledgerRun`): its transaction.
    func wroteTogether(_ transaction: LedgerTransaction)
    func fail(_ failure: MoneyFailure)
}

/// A read the writer's thread answers after its writes: an ordered read, or any read when
/// there are no readers.
protocol WriterRead: AnyObject, Sendable {
    func read(in writer: MoneyWriter) throws(RecordsFailure)
    func fail(_ failure: MoneyFailure)
}

protocol ReadJob: WriterRead {
    func read(from store: RecordsStore, now: Int64) throws(RecordsFailure)
}

extension ReadJob {
    func read(in writer: MoneyWriter) throws(RecordsFailure) {
        try read(from: writer.store, now: writer.clock.nowMilliseconds)
    }
}

final class OperationWrite<Operation: MoneyWriteOperation>: ResultBox<Operation.Reply>, WriteJob, @unchecked Sendable {
    let operation: Operation
    init(_ operation: Operation) { self.operation = operation }

    var plainLedger: LedgerEntry? { nil }
    var walletUser: String? { nil }
    func write(in writer: MoneyWriter) throws(RecordsFailure) {
        result = try operation.write(in: writer).mapError { .refused($0) }
    }
    func wroteTogether(_ transaction: LedgerTransaction) {}
    func fail(_ failure: MoneyFailure) { result = .failure(failure) }
}

final class OperationRead<Operation: MoneyReadOperation>: ResultBox<Operation.Reply>, ReadJob, @unchecked Sendable {
    let operation: Operation
    init(_ operation: Operation) { self.operation = operation }

    func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) {
        result = .success(try operation.read(from: store, now: now))
    }
    func fail(_ failure: MoneyFailure) { result = .failure(failure) }
}

final class OrderedRead<Operation: MoneyOrderedReadOperation>: ResultBox<Operation.Reply>, WriterRead, @unchecked Sendable {
    let operation: Operation
    init(_ operation: Operation) { self.operation = operation }

    func read(in writer: MoneyWriter) throws(RecordsFailure) {
        result = .success(try operation.read(in: writer))
    }
    func fail(_ failure: MoneyFailure) { result = .failure(failure) }
}

/// Operations handed to the engine together (one loop turn's money requests), their
/// answers handed back together: one hand-over to the caller per part of the batch (the
/// writer's, a reader's), however many operations it holds. `Answer` is what the caller
/// makes of a reply; it is made when the caller runs the `MoneyAnswer`, on its own thread.
public struct MoneyBatch<Answer>: Sendable {
    var jobs: [JobKind] = []
    var answers: [MoneyAnswer<Answer>] = []

    public init() {}

    public var isEmpty: Bool { jobs.isEmpty }
    public var count: Int { jobs.count }

    public mutating func add<Operation: MoneyOperation>(_ operation: Operation,
                                                        answer: @escaping @Sendable (MoneyResult<Operation.Reply>) -> Answer) {
        let job = operation.job()
        let box = job.box
        jobs.append(job.kind)
        answers.append(MoneyAnswer { answer(box.result) })
    }
}

/// One operation's answer, made when called.
public struct MoneyAnswer<Answer>: Sendable {
    let make: @Sendable () -> Answer

    public func callAsFunction() -> Answer { make() }
}
