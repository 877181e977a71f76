import Hub
import Records

/// `POST /api/privacy/erase {confirm}`: a person's data erased from the records database
/// (the presence side has done its part): what only identifies them deleted, money rows
/// pseudonymised. A confirmation carried out before is refused.
public struct ErasePerson: MoneyWriteOperation {
    public typealias Reply = RecordsErasure

    public var request: ErasureRequest

    public init(_ request: ErasureRequest) { self.request = request }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<RecordsErasure, MoneyRefusal> {
        guard let rows = try writer.store.erase(request, at: writer.clock.nowMilliseconds) else { return .failure(.erasureAlreadyConfirmed) }
        writer.erasedInGroup = true
        writer.erasedKeys.append(contentsOf: request.identities)
        return .success(rows)
    }
}
