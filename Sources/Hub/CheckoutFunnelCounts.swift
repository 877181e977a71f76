/// The checkout funnel of the sessions kept, counted per minute of their start, so that
/// reading it sums a few thousand minutes instead of scanning every session (a million
/// scanned held the hub's thread for hundreds of ms).
///
/// The steps: 0 the session started, 1 it browsed (a category, offer or product page among
/// its visits, or any checkout), 2 its checkout started, 3 its payment started (it is past
/// `.started`), 4 it paid. A session's count is what its current state says, exactly as a
/// scan of the table would read it, not the furthest it ever got: a step can be lost (the
/// visit that browsed falls out of the bounded visit history; a new checkout after a
/// payment is back at `.started`), and a revived session starts again in a later minute.
/// So `SessionTable` recounts a session after its writes, and takes it out when it leaves
/// the table.
struct CheckoutFunnelCounts: Equatable {
    static let steps = 5

    /// Where one session counts: the minute it started in, and how many steps it reached.
    struct Stage: Equatable {
        var minute: Int64
        var stepsReached: Int8

        init(_ session: Session) {
            minute = CheckoutFunnelCounts.minute(of: session.startedAt)
            stepsReached = Self.stepsReached(status: session.checkoutStatus, page: session.page?.pageType, history: session.history)
        }

        /// Read in place (see `SessionTable.settle`).
        init(_ session: UnsafePointer<Session?>) {
            minute = CheckoutFunnelCounts.minute(of: session.pointee!.startedAt)
            stepsReached = Self.stepsReached(status: session.pointee!.checkoutStatus, page: session.pointee!.page?.pageType,
                                             history: session.pointee!.history)
        }

        /// 1...5; the steps nest, so reaching one means reaching every step before it.
        static func stepsReached(status: Session.CheckoutStatus?, page: PageType?, history: [PageVisit]) -> Int8 {
            if let status {
                switch status {
                case .started: return 3
                case .payment, .failed: return 4
                case .completed: return 5
                }
            }
            // The current page first: it is the likeliest, and the history is up to 20 long.
            if page?.showsProducts == true || history.contains(where: { $0.pageType.showsProducts }) {
                return 2
            }
            return 1
        }
    }

    /// Per minute of start, how many sessions reached each step. A minute whose sessions all
    /// left the table is removed, so the minutes held are at most the sessions held.
    private var byMinute: [Int64: [Int]] = [:]

    init() {}

    /// The counts of these sessions, built from nothing (tests compare the kept ones with it).
    init(of sessions: some Sequence<Session>) {
        for session in sessions { add(Stage(session)) }
    }

    /// The minute a time (milliseconds) is in, rounding down, also before 1970.
    static func minute(of time: Int64) -> Int64 {
        let quotient = time / 60_000
        return time % 60_000 < 0 ? quotient - 1 : quotient
    }

    /// Minutes held (tests: the counts stay bounded).
    var minuteCount: Int { byMinute.count }

    mutating func add(_ stage: Stage) {
        adjust(stage.minute, steps: 0..<Int(stage.stepsReached), by: 1)
    }

    mutating func remove(_ stage: Stage) {
        adjust(stage.minute, steps: 0..<Int(stage.stepsReached), by: -1)
    }

    /// A session written: in its minute, only the steps it gained or lost change.
    mutating func move(from old: Stage, to new: Stage) {
        guard old != new else { return }
        if old.minute == new.minute {
            let (low, high) = (Int(min(old.stepsReached, new.stepsReached)), Int(max(old.stepsReached, new.stepsReached)))
            adjust(new.minute, steps: low..<high, by: new.stepsReached > old.stepsReached ? 1 : -1)
        } else {
            remove(old)
            add(new)
        }
    }

    /// The sessions that started in `minute` or later, step by step.
    func totals(fromMinute minute: Int64) -> [Int] {
        var totals = Array(repeating: 0, count: Self.steps)
        for (start, counts) in byMinute where start >= minute {
            for step in 0..<Self.steps { totals[step] += counts[step] }
        }
        return totals
    }

    private mutating func adjust(_ minute: Int64, steps: Range<Int>, by delta: Int) {
        guard !steps.isEmpty else { return }
        if byMinute[minute] == nil { byMinute[minute] = Array(repeating: 0, count: Self.steps) }
        let index = byMinute.index(forKey: minute)!
        for step in steps { byMinute.values[index][step] += delta }
        assert(byMinute.values[index].allSatisfy { $0 >= 0 }, "a session left a step it was never counted at")
        // Every session counted in a minute reached step 0, so its count says whether any is left.
        if byMinute.values[index][0] == 0 { byMinute.remove(at: index) }
    }
}
