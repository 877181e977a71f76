import Hub
import Records

/// `POST /api/privacy/erase {key}`: who the key is (through the links the shop made) and
/// what erasing them would touch. Nothing is erased.
public struct PlanErasure: MoneyReadOperation {
    public typealias Reply = ErasurePlan

    public var key: PersonKey

    public init(_ key: PersonKey) { self.key = key }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> ErasurePlan {
        try store.erasurePlan(key)
    }
}
