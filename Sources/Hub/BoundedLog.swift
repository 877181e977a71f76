/// Entries oldest first, bounded by count and by bytes: what anyone can make the hub record
/// (webhook deliveries, the alerts they and the beacons raise) never grows without end.
/// Past a bound the oldest go in a batch (down to the count, and to three quarters of the
/// byte budget), not one per append.
public struct BoundedLog<Entry: Sendable>: Sendable {
    public private(set) var entries: [Entry] = []
    public var maxCount: Int
    public var maxBytes: Int
    private var bytes = 0
    private let cost: @Sendable (Entry) -> Int

    public init(maxCount: Int, maxBytes: Int, cost: @escaping @Sendable (Entry) -> Int) {
        self.maxCount = maxCount
        self.maxBytes = maxBytes
        self.cost = cost
    }

    /// Bytes the kept entries hold, as `cost` counts them.
    public var byteCount: Int { bytes }

    public mutating func append(_ entry: Entry) {
        entries.append(entry)
        bytes += cost(entry)
        guard entries.count > maxCount + maxCount / 4 || bytes > maxBytes else { return }
        var drop = max(0, entries.count - maxCount)
        var kept = bytes - entries[..<drop].reduce(0) { $0 + cost($1) }
        while drop < entries.count - 1 && kept > maxBytes - maxBytes / 4 {
            kept -= cost(entries[drop])
            drop += 1
        }
        entries.removeFirst(drop)
        bytes = kept
    }
}
