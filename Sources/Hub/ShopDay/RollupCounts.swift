/// What happened, counted per minute on the hub's thread until it is taken to be added to
/// the records database's rollups (`PresenceHub.takeRollups`). A beacon adds to a
/// dictionary; nothing here reads a disk.
///
/// Names come from anonymous browsers, so each keyed metric admits at most `maxKeys` names a
/// day (the rest count under `"other"`): a day's rows stay bounded whatever is sent.
public struct RollupCounts: Sendable {
    /// One count: a metric (`RollupMetric`'s raw value, or `funnelCode` for a custom
    /// funnel, whose name is `id|step`) and its key.
    struct Key: Hashable, Sendable {
        var code: UInt8
        var name: String
    }

    static let funnelCode: UInt8 = 255
    public static let otherKey = "other"

    /// One minute's counts, as the records database takes them.
    public struct Minute: Sendable, Equatable {
        public var minute: Int64
        public var counts: [(metric: String, key: String, value: Int64)]

        public static func == (a: Minute, b: Minute) -> Bool {
            a.minute == b.minute && a.counts.count == b.counts.count
                && zip(a.counts, b.counts).allSatisfy { $0.metric == $1.metric && $0.key == $1.key && $0.value == $1.value }
        }
    }

    public let maxKeys: Int
    private(set) var minute: Int64
    private var counts: [Key: Int64] = [:]
    /// The busiest counts, in place of dictionary entries (a beacon's cost, callgrind): the
    /// unkeyed metrics by raw value, and pageviews of the page types with tiles by
    /// `PageType.tileIndex`. Moved into `counts` when the minute closes.
    private var unkeyed = [Int64](repeating: 0, count: RollupMetric.unkeyedCount)
    private var tileViews = [Int64](repeating: 0, count: PageType.tiles.count)
    private var inPlace = false
    /// Minutes closed and not yet taken, oldest first.
    private var closed: [(minute: Int64, counts: [Key: Int64])] = []
    /// The day (since the epoch, UTC) the admitted names are for.
    private var day: Int64
    private var admitted: [UInt8: Set<String>] = [:]

    public init(maxKeys: Int, minute: Int64) {
        self.maxKeys = max(2, maxKeys)
        self.minute = minute
        day = Self.day(ofMinute: minute)
    }

    static func day(ofMinute minute: Int64) -> Int64 {
        minute >= 0 ? minute / 1440 : (minute - 1439) / 1440
    }

    /// Adds to a metric in the minute `minute` (the hub's clock, which never goes back).
    @inline(__always)
    mutating func add(_ metric: RollupMetric, _ name: String = "", _ value: Int64 = 1, minute: Int64) {
        if name.isEmpty && Int(metric.rawValue) < RollupMetric.unkeyedCount {
            if minute > self.minute { roll(to: minute) }
            unkeyed[Int(metric.rawValue)] += value
            inPlace = true
            return
        }
        add(Key(code: metric.rawValue, name: name), value, minute: minute, bounded: !name.isEmpty)
    }

    /// A pageview of a page type with a tile (`PageType.tiles[index]`).
    @inline(__always)
    mutating func addTileView(_ index: Int, minute: Int64) {
        if minute > self.minute { roll(to: minute) }
        tileViews[index] += 1
        inPlace = true
    }

    /// The counts held in place, moved into `counts`.
    private mutating func settle() {
        guard inPlace else { return }
        inPlace = false
        for (raw, value) in unkeyed.enumerated() where value != 0 {
            counts[Key(code: UInt8(raw), name: ""), default: 0] += value
            unkeyed[raw] = 0
        }
        for (index, value) in tileViews.enumerated() where value != 0 {
            counts[Key(code: RollupMetric.pageviewsByType.rawValue, name: PageType.tiles[index].rawValue), default: 0] += value
            tileViews[index] = 0
        }
    }

    mutating func addFunnelStep(_ funnel: String, step: Int, minute: Int64) {
        add(Key(code: Self.funnelCode, name: "\(funnel)|\(step)"), 1, minute: minute, bounded: false)
    }

    private mutating func add(_ key: Key, _ value: Int64, minute: Int64, bounded: Bool) {
        if minute > self.minute { roll(to: minute) }
        if let index = counts.index(forKey: key) {
            counts.values[index] += value
            return
        }
        var key = key
        if bounded && !admit(key) { key.name = Self.otherKey }
        counts[key, default: 0] += value
    }

    /// Whether a name not yet counted this minute has (or gets) its place today.
    private mutating func admit(_ key: Key) -> Bool {
        if admitted[key.code]?.contains(key.name) == true { return true }
        let held = admitted[key.code]?.count ?? 0
        guard held < maxKeys - 1 else { return false }
        admitted[key.code, default: []].insert(key.name)
        return true
    }

    private mutating func roll(to minute: Int64) {
        settle()
        if !counts.isEmpty { closed.append((self.minute, counts)) }
        counts = [:]
        self.minute = minute
        let day = Self.day(ofMinute: minute)
        if day != self.day {
            self.day = day
            admitted = [:]
        }
    }

    /// Whether anything is counted and not yet taken.
    public var isEmpty: Bool { counts.isEmpty && closed.isEmpty && !inPlace }

    /// Every minute's counts not yet taken, oldest first; they are forgotten here.
    public mutating func take() -> [Minute] {
        settle()
        if !counts.isEmpty {
            closed.append((minute, counts))
            counts = [:]
        }
        defer { closed = [] }
        return closed.map { entry in
            Minute(minute: entry.minute, counts: entry.counts.map { key, value in
                if key.code == Self.funnelCode {
                    let parts = key.name.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
                    return (RollupMetric.funnelPrefix + String(parts[0]), String(parts.count > 1 ? parts[1] : ""), value)
                }
                return (RollupMetric(rawValue: key.code)!.name, key.name, value)
            }.sorted { ($0.metric, $0.key) < ($1.metric, $1.key) })
        }
    }

    /// Counts taken but not written (the database was unavailable) are given back, to go
    /// with the next ones; at most `limit` minutes are held, the oldest dropped first.
    public mutating func giveBack(_ minutes: [Minute], limit: Int = 120) {
        var back: [(minute: Int64, counts: [Key: Int64])] = []
        for minute in minutes {
            var counts: [Key: Int64] = [:]
            for count in minute.counts {
                if count.metric.hasPrefix(RollupMetric.funnelPrefix) {
                    counts[Key(code: Self.funnelCode, name: "\(count.metric.dropFirst(RollupMetric.funnelPrefix.count))|\(count.key)"), default: 0] += count.value
                } else if let metric = RollupMetric.allCases.first(where: { $0.name == count.metric }) {
                    counts[Key(code: metric.rawValue, name: count.key), default: 0] += count.value
                }
            }
            back.append((minute.minute, counts))
        }
        closed = Array((back + closed).suffix(limit))
    }
}
