import Synchronization

/// Counters of one event loop. Only the loop's thread writes them (so an increment is a
/// plain relaxed load and store, no locked instruction); `/metrics` reads them from any thread.
public final class LoopStats: Sendable {
    public let connectionsOpen = Atomic<Int>(0)
    public let connectionsAccepted = Atomic<Int>(0)
    public let bytesIn = Atomic<Int>(0)
    public let bytesOut = Atomic<Int>(0)
    public let messagesIn = Atomic<Int>(0)
    public let messagesOut = Atomic<Int>(0)
    public let slowConsumerCloses = Atomic<Int>(0)
    public let conflatedDrops = Atomic<Int>(0)
    /// How late, in nanoseconds, the loop's last repeating timer run was (the server's
    /// one-second tick): a busy or blocked loop shows here.
    public let loopLagNanoseconds = Atomic<Int>(0)

    /// How long the last idle sweep took (the hub's loop only).
    public let sweepNanoseconds = Atomic<Int>(0)

    /// How long the last snapshot took to encode and write (the hub's loop only).
    public let snapshotNanoseconds = Atomic<Int>(0)

    /// How long the hub's loop spent capturing the last snapshot's state (the rest is on
    /// the writer's thread).
    public let snapshotCaptureNanoseconds = Atomic<Int>(0)

    /// Members of the seller and broadcast rooms on this loop.
    public let sellerRoomMembers = Atomic<Int>(0)
    /// `/ws/balance` sockets, all users together.
    public let balanceRoomMembers = Atomic<Int>(0)
    public let broadcastRoomMembers = Atomic<Int>(0)

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
