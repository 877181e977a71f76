/// The shop's presence minute by minute, kept by the hub so a dashboard's chart is full when
/// it opens (contract v2: "kept at least 24 h"). A minute stores where sessions were at its
/// end and what happened in it; only minutes in which something changed are stored, and the
/// minutes between are the one before carried forward (nothing moved in them).
public struct MetricsHistory: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        /// Minutes since the Unix epoch.
        public var minute: Int64
        /// Live sessions at the end of the minute.
        public var totalActive: Int
        /// Live sessions per page type at the end of the minute (non-zero entries).
        public var pages: [String: Int]
        /// Payment errors recorded in the minute.
        public var paymentErrors: Int
        /// Sessions that reached payment success in the minute.
        public var paid: Int
        /// Sessions that started (or came back) in the minute.
        public var sessionsStarted: Int

        public init(minute: Int64, totalActive: Int, pages: [String: Int], paymentErrors: Int = 0, paid: Int = 0, sessionsStarted: Int = 0) {
            self.minute = minute
            self.totalActive = totalActive
            self.pages = pages
            self.paymentErrors = paymentErrors
            self.paid = paid
            self.sessionsStarted = sessionsStarted
        }

        /// This minute's events, ending with sessions where `counters` has them.
        func ending(with counters: PresenceCounters) -> Point {
            var point = self
            point.totalActive = counters.totalActive
            point.pages = counters.pages.filter { $0.value != 0 }
            return point
        }

        /// The same state a minute later, nothing having happened in it.
        func carried(to minute: Int64) -> Point {
            Point(minute: minute, totalActive: totalActive, pages: pages)
        }
    }

    /// What a minute counts besides where sessions are.
    public enum Event: Sendable {
        case sessionStarted, paymentError, paid
    }

    /// 25 hours: a day back from any minute of the current hour.
    public static let defaultCapacity = 25 * 60

    /// Minutes kept, counted back from the newest.
    public let capacity: Int
    /// Finished minutes in which something changed, oldest first.
    public private(set) var finished: [Point] = []
    /// The minute now open: its events so far (its state is the live counters').
    public private(set) var current: Point

    public init(startingAt milliseconds: Int64, capacity: Int = defaultCapacity) {
        self.capacity = max(2, capacity)
        current = Point(minute: Self.minute(of: milliseconds), totalActive: 0, pages: [:])
    }

    public static func minute(of milliseconds: Int64) -> Int64 {
        milliseconds >= 0 ? milliseconds / 60_000 : (milliseconds - 59_999) / 60_000
    }

    /// Called with the counters as they are before a change at `milliseconds`: a new minute
    /// closes the open one with them as its end state. Cheap when the minute is the same.
    @inline(__always)
    mutating func roll(to milliseconds: Int64, counters: PresenceCounters) {
        let minute = Self.minute(of: milliseconds)
        if minute > current.minute { close(into: minute, counters: counters) }
    }

    private mutating func close(into minute: Int64, counters: PresenceCounters) {
        finished.append(current.ending(with: counters))
        let oldest = minute - Int64(capacity) + 1
        if let first = finished.first, first.minute < oldest {
            finished.removeFirst(finished.firstIndex { $0.minute >= oldest } ?? finished.count)
        }
        current = Point(minute: minute, totalActive: 0, pages: [:])
    }

    mutating func count(_ event: Event) {
        switch event {
        case .sessionStarted: current.sessionsStarted += 1
        case .paymentError: current.paymentErrors += 1
        case .paid: current.paid += 1
        }
    }

    /// One point per minute, oldest first, for the last `minutes` minutes up to the one
    /// holding `now`, from the first minute this history knows; the open minute shows
    /// `counters` as they are.
    public func points(minutes: Int, now: Int64, counters: PresenceCounters) -> [Point] {
        let newest = max(Self.minute(of: now), current.minute)
        let wanted = Int64(max(1, min(minutes, capacity)))
        let known = finished + [current.ending(with: counters)]
        let first = max(newest - wanted + 1, known[0].minute)
        var result: [Point] = []
        result.reserveCapacity(Int(newest - first + 1))
        // The newest known point at or before each minute.
        var index = (known.lastIndex { $0.minute <= first }) ?? 0
        var minute = first
        while minute <= newest {
            while index + 1 < known.count, known[index + 1].minute <= minute { index += 1 }
            let point = known[index]
            result.append(point.minute == minute ? point : point.carried(to: minute))
            minute += 1
        }
        return result
    }

    /// The minutes as a snapshot keeps them: the finished ones, then the open one closed
    /// with `counters`.
    public func saved(counters: PresenceCounters) -> [Point] {
        finished + [current.ending(with: counters)]
    }

    /// A history restored from a snapshot's minutes, resumed at `milliseconds`. The minutes
    /// the hub was down are shown with nobody live (nobody was counted), not carried forward.
    public init(restoring saved: [Point], resumingAt milliseconds: Int64, capacity: Int = defaultCapacity) {
        self.init(startingAt: milliseconds, capacity: capacity)
        let oldest = current.minute - Int64(self.capacity) + 1
        var kept = saved.filter { $0.minute >= oldest && $0.minute < current.minute }.sorted { $0.minute < $1.minute }
        if let last = kept.last, last.minute + 1 < current.minute {
            kept.append(Point(minute: last.minute + 1, totalActive: 0, pages: [:]))
        }
        finished = kept
        if let same = saved.last(where: { $0.minute == current.minute }) {
            current = Point(minute: same.minute, totalActive: 0, pages: [:], paymentErrors: same.paymentErrors, paid: same.paid,
                            sessionsStarted: same.sessionsStarted)
        }
    }
}
