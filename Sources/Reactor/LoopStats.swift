import Synchronization

/// The transport's counters of one event loop (connections, bytes, lag); what the
/// application does with them it counts itself. Only the loop's thread writes them (so an increment is a
/// plain relaxed load and store, no locked instruction); `/metrics` reads them from any thread.
public final class LoopStats: Sendable {
    public let connectionsOpen = Atomic<Int>(0)
    public let connectionsAccepted = Atomic<Int>(0)
    public let bytesIn = Atomic<Int>(0)
    public let bytesOut = Atomic<Int>(0)
    /// How late, in nanoseconds, the loop's last repeating timer run was (the server's
    /// one-second tick): a busy or blocked loop shows here.
    public let loopLagNanoseconds = Atomic<Int>(0)

    public init() {}
}

extension Atomic where Value == Int {
    /// Single-writer increment: only the owning loop calls this.
    @inline(__always)
    public func bump(_ by: Int = 1) {
        store(load(ordering: .relaxed) &+ by, ordering: .relaxed)
    }

    @inline(__always)
    public var value: Int { load(ordering: .relaxed) }
}
