import Reactor

/// Every loop's context, by loop index: a task handed to a loop (`EventLoopHandle.execute`)
/// finds its loop's context here, typed, with one load: no downcast, and no closure around
/// the task (a handle that passed the context to its tasks would wrap each one in another,
/// one more allocation per crossing). A beacon costs nothing here: on the hub's loop it
/// never crosses, and from another loop it crosses with its loop turn's batch.
///
/// Slot i is written on loop i's thread only (at its setup, and emptied when it stops) and
/// read there only: the subscript takes the running `EventLoop`, which no other thread
/// holds. That confinement is what `@unchecked Sendable` stands for.
final class LoopContexts: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<LoopContext?>
    let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    /// The context of the loop this runs on; nil before its setup and once it has stopped.
    subscript(loop: EventLoop) -> LoopContext? { slots[loop.index] }

    /// On the context's loop, at its setup: the table holds it from now on.
    func install(_ context: LoopContext) { slots[context.loop.index] = context }

    /// On the loop, as it stops: what it owned goes with it (the context holds the shared
    /// state that holds this table).
    func remove(on loop: EventLoop) { slots[loop.index] = nil }
}
