import Synchronization

/// Open connections per client address, across the loops (`--max-connections-per-ip`):
/// one address cannot take every descriptor. A trusted proxy's address is not counted (its
/// clients are many). Entries go when their count does.
final class ConnectionsPerAddress: Sendable {
    private let limit: Int
    private let counts = Mutex<[UInt64: Int]>([:])

    init(limit: Int) { self.limit = limit }

    /// Whether addresses are counted at all (a limit of 0: no cap).
    var isOn: Bool { limit > 0 }

    /// Counts one more connection from `key`; false (and nothing counted) at the limit.
    func enter(_ key: UInt64) -> Bool {
        counts.withLock { counts in
            let count = counts[key, default: 0]
            guard count < limit else { return false }
            counts[key] = count + 1
            return true
        }
    }

    func leave(_ key: UInt64) {
        counts.withLock { counts in
            guard let count = counts[key] else { return }
            counts[key] = count > 1 ? count - 1 : nil
        }
    }
}
