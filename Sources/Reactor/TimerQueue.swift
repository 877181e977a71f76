/// Identifies a scheduled timer, for cancelling it.
public struct TimerID: Hashable, Sendable {
    let raw: UInt64
}

/// A binary min-heap of deadlines. Cancelling removes the callback; the heap entry is
/// skipped when it comes up.
struct TimerQueue {
    private var heap: [(deadline: UInt64, id: UInt64)] = []
    private var callbacks: [UInt64: () -> Void] = [:]
    private var nextID: UInt64 = 1

    mutating func nextDeadline() -> UInt64? {
        while let top = heap.first, callbacks[top.id] == nil { popTop() }
        return heap.first?.deadline
    }

    mutating func reserveID() -> TimerID {
        defer { nextID += 1 }
        return TimerID(raw: nextID)
    }

    @discardableResult
    mutating func add(deadline: UInt64, _ body: @escaping () -> Void) -> TimerID {
        let id = reserveID()
        add(id: id, deadline: deadline, body)
        return id
    }

    mutating func add(id: TimerID, deadline: UInt64, _ body: @escaping () -> Void) {
        callbacks[id.raw] = body
        heap.append((deadline, id.raw))
        siftUp(heap.count - 1)
    }

    /// Ids cancelled while their callback was running (a repeating timer checks this
    /// before re-arming).
    private var cancelledWhileRunning: Set<UInt64> = []

    mutating func cancel(_ id: TimerID) {
        if callbacks.removeValue(forKey: id.raw) == nil { cancelledWhileRunning.insert(id.raw) }
    }

    /// True (once) if `id` was cancelled while its callback ran.
    mutating func takeCancellation(_ id: TimerID) -> Bool {
        cancelledWhileRunning.remove(id.raw) != nil
    }

    /// The next callback due at `now`, removed from the queue. The caller runs it outside
    /// any access to the queue, since callbacks schedule timers themselves.
    mutating func popDue(now: UInt64) -> (() -> Void)? {
        while let top = heap.first, top.deadline <= now {
            popTop()
            if let body = callbacks.removeValue(forKey: top.id) { return body }
        }
        return nil
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            if heap[parent].deadline <= heap[i].deadline { break }
            heap.swapAt(parent, i)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].deadline < heap[m].deadline { m = l }
            if r < heap.count && heap[r].deadline < heap[m].deadline { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }
}
