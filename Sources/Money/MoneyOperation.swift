import Hub
import Records

/// One thing the money engine is asked to do, with the type of its answer: each business
/// flow is one operation type (one file in `Operations/`), and `MoneyEngine.submit` takes
/// any of them. How the engine runs one is given by its kind, not written by each:
/// - `MoneyWriteOperation`: in the group's transaction on the writer's thread (group
///   commit), answered after its COMMIT;
/// - `MoneyReadOperation`: from what is committed, on a reader's connection (`MoneyReaders`)
///   with the read deadline, or on the writer's when there are no readers;
/// - `MoneyOrderedReadOperation`: on the writer's thread after the writes submitted with
///   it (a balance socket's replay, the cluster's news), ordered with the writer's effects.
public protocol MoneyOperation: Sendable {
    associatedtype Reply: Sendable
    /// The operation as the engine runs it. Given by the kinds below (and by `WriteLedger`,
    /// whose plain writes are decided together).
    func job() -> MoneyJob<Reply>
}

public protocol MoneyWriteOperation: MoneyOperation {
    /// Decides and writes it in the group's transaction: the reply, or why it was refused
    /// (a refusal has written nothing). A thrown `RecordsFailure` rolls the group back and
    /// every write in it is answered `unavailable`.
    func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<Reply, MoneyRefusal>
}

public protocol MoneyReadOperation: MoneyOperation {
    /// Reads it from what is committed, on whichever connection answers it. `now` in
    /// milliseconds.
    func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> Reply
}

public protocol MoneyOrderedReadOperation: MoneyOperation {
    /// Reads it on the writer's thread, after the writes of its batch have committed.
    func read(in writer: MoneyWriter) throws(RecordsFailure) -> Reply
}

extension MoneyWriteOperation {
    public func job() -> MoneyJob<Reply> { MoneyJob(write: OperationWrite(self)) }
}

extension MoneyReadOperation {
    public func job() -> MoneyJob<Reply> { MoneyJob(read: OperationRead(self)) }
}

extension MoneyOrderedReadOperation {
    public func job() -> MoneyJob<Reply> { MoneyJob(ordered: OrderedRead(self)) }
}

/// What an operation's caller gets: its reply, or why there is none.
public typealias MoneyResult<Reply> = Result<Reply, MoneyFailure>

public enum MoneyFailure: Error, Sendable {
    /// The write was refused; nothing was recorded.
    case refused(MoneyRefusal)
    /// The database could not take or give it: nothing was changed.
    case unavailable(String)
    /// A read ran past its deadline and was stopped.
    case cancelled
    /// Too many reads wait already.
    case busy
}

/// Why a write was refused (nothing was recorded).
public enum MoneyRefusal: Error, Sendable, Equatable {
    case unknownPayment(reference: String)
    case balanceOutOfRange
    /// The reference was used before for another user, amount or type.
    case referenceConflict(original: LedgerTransaction)
    case noSuchPayment(reference: String)
    /// An erasure's confirmation was used before.
    case erasureAlreadyConfirmed
    /// A credit by hand that cannot be: the reason, in words for the operator.
    case paymentNotCreditable(reason: String)
    /// A shop may define at most `limit` of these (goals, funnels).
    case tooMany(what: String, limit: Int)
}
