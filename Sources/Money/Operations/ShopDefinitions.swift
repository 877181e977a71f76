import Hub
import Records

/// The goals and custom funnels a shop defines: read, saved, deleted. A save over the limit
/// is refused (`MoneyRefusal.tooMany`).
public struct ReadGoals: MoneyReadOperation {
    public typealias Reply = [RecordsStore.Goal]
    public init() {}
    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> [RecordsStore.Goal] { try store.goals() }
}

public struct SaveGoal: MoneyWriteOperation {
    public typealias Reply = RecordsStore.Goal
    public var goal: RecordsStore.Goal
    public init(_ goal: RecordsStore.Goal) { self.goal = goal }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<RecordsStore.Goal, MoneyRefusal> {
        try writer.store.saveGoal(goal, now: writer.clock.nowMilliseconds) ? .success(goal) : .failure(.tooMany(what: "goals", limit: RecordsStore.maxGoals))
    }
}

public struct DeleteGoal: MoneyWriteOperation {
    public typealias Reply = Bool
    public var name: String
    public init(name: String) { self.name = name }
    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<Bool, MoneyRefusal> { .success(try writer.store.deleteGoal(name)) }
}

public struct ReadCustomFunnels: MoneyReadOperation {
    public typealias Reply = [CustomFunnel]
    public init() {}
    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> [CustomFunnel] { try store.customFunnels() }
}

/// Answers every funnel after the save, for the hub to count them at once.
public struct SaveFunnel: MoneyWriteOperation {
    public typealias Reply = [CustomFunnel]
    public var funnel: CustomFunnel
    public init(_ funnel: CustomFunnel) { self.funnel = funnel }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<[CustomFunnel], MoneyRefusal> {
        guard try writer.store.saveFunnel(funnel, now: writer.clock.nowMilliseconds) else {
            return .failure(.tooMany(what: "funnels", limit: CustomFunnel.maxFunnels))
        }
        return .success(try writer.store.customFunnels())
    }
}

/// Answers the funnels left, or nil when there was none of that id.
public struct DeleteFunnel: MoneyWriteOperation {
    public typealias Reply = [CustomFunnel]?
    public var id: String
    public init(id: String) { self.id = id }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<[CustomFunnel]?, MoneyRefusal> {
        guard try writer.store.deleteFunnel(id) else { return .success(nil) }
        return .success(try writer.store.customFunnels())
    }
}

/// A custom funnel's counts over `[from, to)`: how many sessions reached each step, from the
/// rollups of the finest grain the window is aligned to (minute rows only exist for their
/// retention). Nil when there is no such funnel.
public struct ReadFunnelReport: MoneyReadOperation {
    public typealias Reply = (funnel: CustomFunnel, reached: [Int64])?

    public var id: String
    public var from: Int64
    public var to: Int64

    public init(id: String, from: Int64, to: Int64) {
        self.id = id
        self.from = from
        self.to = to
    }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> (funnel: CustomFunnel, reached: [Int64])? {
        guard let funnel = try store.customFunnels().first(where: { $0.id == id }) else { return nil }
        let grain = RollupGrain.allCases.reversed().first { from % $0.milliseconds == 0 && to % $0.milliseconds == 0 } ?? .minute
        var reached = Array(repeating: Int64(0), count: funnel.steps.count)
        // Its own rows only: a long window's other metrics must not take the rows' limit.
        for row in try store.rollupTotals(grain, from: from, to: to, metric: RollupMetric.funnelPrefix + id) {
            if let step = Int(row.key), (1...reached.count).contains(step) { reached[step - 1] += row.value }
        }
        return (funnel, reached)
    }
}
