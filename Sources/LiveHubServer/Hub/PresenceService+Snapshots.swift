import Hub
import Reactor

/// Who waits for a snapshot: told whether it was written.
typealias SnapshotWaiter = (Result<Void, SnapshotStore.WriteError>) -> Void

/// `DATA/snapshot`: presence captured on the hub's loop, a slice of sessions per turn, then
/// encoded and written on the writer's thread (`SnapshotWriter`). Money is not in it: the
/// records database holds that.
extension PresenceService {
    /// Sessions copied per loop turn while a snapshot is captured (about 10 ms of work).
    static let snapshotSlice = 8192

    /// Every `--snapshot-interval`, and at shutdown (`final`: written before this returns).
    /// One at a time: asked for while one is being written, it is skipped.
    func saveSnapshot(final: Bool = false) {
        if snapshotInFlight && !final { return }
        let started = EventLoop.now
        // A snapshot after an erasure replaces the one before it instead of keeping it.
        inReplacingSnapshot += awaitingReplacingSnapshot
        awaitingReplacingSnapshot = []
        let keepingPrevious = inReplacingSnapshot.isEmpty
        var capture = hub.beginSnapshot()
        if final {
            while !hub.continueSnapshot(&capture, sessions: .max) {}
            do {
                try snapshotWriter.writeNow(capture.snapshot, keepingPrevious: keepingPrevious)
                snapshotWritten(.success(()), started: started)
            } catch {
                snapshotWritten(.failure(error), started: started)
            }
            return
        }
        snapshotInFlight = true
        var captureNanoseconds = EventLoop.now - started
        func nextSlice() {
            let sliceStarted = EventLoop.now
            let done = hub.continueSnapshot(&capture, sessions: Self.snapshotSlice)
            captureNanoseconds += EventLoop.now - sliceStarted
            guard done else {
                context.loop.schedule(afterNanoseconds: 0, nextSlice)
                return
            }
            context.counters.snapshotCaptureNanoseconds.store(Int(captureNanoseconds), ordering: .relaxed)
            let inbox = context.shared.hubInbox
            snapshotWriter.write(capture.snapshot, keepingPrevious: keepingPrevious) { result in
                inbox.presence(.snapshotWritten(result, started: started))
            }
        }
        nextSlice()
    }

    /// A snapshot that replaces the one before it instead of keeping it (after an erasure,
    /// `snapshot.prev` would still hold the person): the next one, or if one is being
    /// written now, the one after it. `written` is told how it went.
    func saveSnapshotReplacingPrevious(then written: @escaping SnapshotWaiter) {
        awaitingReplacingSnapshot.append(written)
        saveSnapshot()
    }

    func snapshotWritten(_ result: Result<Void, SnapshotStore.WriteError>, started: UInt64) {
        snapshotInFlight = false
        if case .failure(let error) = result { ServerLog.logger.error("snapshot failed", metadata: ["error": "\(error)"]) }
        context.counters.snapshotNanoseconds.store(Int(EventLoop.now - started), ordering: .relaxed)
        let waiting = inReplacingSnapshot
        inReplacingSnapshot = []
        for written in waiting { written(result) }
        if !awaitingReplacingSnapshot.isEmpty { saveSnapshot() }
    }
}
