/// Cluster mode: the other nodes' minute histories, as they wrote them to the database, and
/// the chart they make summed with this node's. A node writes a row for every minute it is
/// up (quiet ones too), so a minute without a node's row is one it held nobody in: a dead
/// node's sessions leave the chart where it died, and the minutes it had stay.
public struct ClusterHistory: Sendable {
    /// Each other node's minutes, by minute.
    private var nodes: [String: [Int64: MetricsHistory.Point]] = [:]
    public let capacity: Int

    public init(capacity: Int = MetricsHistory.defaultCapacity) {
        self.capacity = max(2, capacity)
    }

    /// A minute as `node` wrote it (a newer write of the same minute replaces it).
    public mutating func record(node: String, _ point: MetricsHistory.Point) {
        nodes[node, default: [:]][point.minute] = point
    }

    /// Forgets the minutes older than the history keeps, counted back from `newestMinute`.
    public mutating func forget(before newestMinute: Int64) {
        let oldest = newestMinute - Int64(capacity) + 1
        for (node, minutes) in nodes {
            let kept = minutes.filter { $0.key >= oldest }
            nodes[node] = kept.isEmpty ? nil : kept
        }
    }

    /// The last `minutes` minutes: `own` (this node's points, one per minute, oldest first,
    /// the newest the open minute) with every other node's same minute added, from the
    /// first minute any node knows. The open minute's presence is `live` (every node's
    /// counts as sellers see them now), where the others' rows for it may be seconds old.
    public func merged(_ own: [MetricsHistory.Point], minutes: Int, live: PresenceCounters) -> [MetricsHistory.Point] {
        guard let ownFirst = own.first?.minute, let newest = own.last?.minute, own.count == Int(newest - ownFirst) + 1 else { return own }
        let wanted = Int64(max(1, min(minutes, capacity)))
        var first = newest - wanted + 1
        let earliestOther = nodes.values.lazy.flatMap(\.keys).filter { $0 >= first }.min() ?? ownFirst
        first = max(first, min(ownFirst, earliestOther))
        var result = (first...newest).map { minute in
            minute >= ownFirst ? own[Int(minute - ownFirst)] : MetricsHistory.Point(minute: minute, totalActive: 0, pages: [:])
        }
        for minutes in nodes.values {
            for (minute, point) in minutes where minute >= first && minute <= newest {
                result[Int(minute - first)].add(point)
            }
        }
        result[result.count - 1] = result[result.count - 1].ending(with: live)
        return result
    }
}

extension MetricsHistory.Point {
    /// Another node's same minute added to this one.
    mutating func add(_ other: MetricsHistory.Point) {
        totalActive += other.totalActive
        for (page, count) in other.pages { pages[page, default: 0] += count }
        paymentErrors += other.paymentErrors
        paid += other.paid
        sessionsStarted += other.sessionsStarted
    }
}
