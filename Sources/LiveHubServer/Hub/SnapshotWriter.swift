import Dispatch
import Hub

/// Encodes and writes snapshots on a thread of its own, so the hub's loop only pays for
/// capturing the state (copying values), never for encoding, writing or fsync — a full or
/// slow disk cannot stall beacons, and a snapshot that cannot be written changes nothing.
/// One write at a time: a save asked for while one is in flight is skipped (the next
/// interval catches up); the final save at shutdown waits for it.
final class SnapshotWriter: Sendable {
    let store: SnapshotStore
    private let queue = DispatchQueue(label: "livehub.snapshot")

    init(store: SnapshotStore) {
        self.store = store
    }

    /// Encodes and writes on the writer's thread; `done` runs there with the outcome.
    func write(_ snapshot: HubSnapshot, keepingPrevious: Bool = true, done: @escaping @Sendable (Result<Void, SnapshotStore.WriteError>) -> Void) {
        queue.async { [store] in
            done(Result { () throws(SnapshotStore.WriteError) in try store.save(snapshot, keepingPrevious: keepingPrevious) })
        }
    }

    /// Writes now, after any write in flight (shutdown).
    func writeNow(_ snapshot: HubSnapshot, keepingPrevious: Bool = true) throws(SnapshotStore.WriteError) {
        let result: Result<Void, SnapshotStore.WriteError> = queue.sync { [store] in
            Result { () throws(SnapshotStore.WriteError) in try store.save(snapshot, keepingPrevious: keepingPrevious) }
        }
        try result.get()
    }
}
