import CLinux
import Glibc
import Hub
import Logging
import Reactor

/// The link's rules, on its thread: what this node tells the others and when, what it
/// reads of theirs and what it hands on, whatever the broker. Touched by nothing else.
///
/// `turn` is one pass and decides nothing by the wall clock but `clock`, so tests drive
/// several nodes on one `InMemoryCluster` pass by pass; `run` is the thread's loop of
/// passes, waiting between them for the outbox, the broker's news or the next timer.
struct ClusterLinkWorker {
    let configuration: ClusterLink.Configuration
    let handlers: ClusterLink.Handlers
    let broker: any ClusterBroker
    /// Milliseconds, for the link's timers (production: the loops' monotonic clock,
    /// unmoved by the wall clock).
    let clock: () -> Int64
    let log = Logger(label: "livehub.cluster")
    var mine: (counters: [UInt8], updatedAt: Int64)?
    /// The counts the others last heard announced: the row is announced only when they change.
    var announced: [UInt8]?
    var reported = ClusterLink.Others(counters: PresenceCounters(), nodes: [], updatedAt: 0)
    var lastRead: Int64
    var outage = false
    /// The broker has been listened to once: a later `attach` that starts anew follows a loss.
    var listenedBefore = false
    var nextRefresh: Int64
    var othersAnnounced = false
    /// Claims taken from the outbox, not yet written, up to batch `claimsTaken`; those up
    /// to `claimsWritten` are in the broker.
    var claims: [String] = []
    var claimsTaken: UInt32 = 0
    var claimsWritten: UInt32 = 0
    /// The newest other node's claim read; 0: read them all.
    var lastClaimSeq: Int64 = 0
    /// The others' claims are to be read: one announced some, or the broker listens anew (at
    /// the start too: a node restarted on its snapshot lets go what was taken meanwhile).
    var claimsAnnounced = false
    var nextCleanup: Int64 = 0
    /// This node's minutes taken from the outbox, not yet written.
    var minutes: [Int64: MetricsHistory.Point] = [:]
    /// The newest other node's minute read; 0: read them all.
    var lastMinuteSeq: Int64 = 0
    var nextMinutesRead: Int64 = 0
    /// Answers to this node's questions wait in the broker.
    var answersAnnounced = false

    /// Read in one call, at most: a node back in a large cluster reads every claim in slices.
    static let claimsRead = 50_000
    static let minutesRead = 10_000
    /// Answers nobody took (their asker died) are forgotten after a minute.
    static let answersKept: Int64 = 60_000
    static let cleanupInterval: Int64 = 60_000

    /// The loops' monotonic clock, in milliseconds.
    static var milliseconds: Int64 { Int64(EventLoop.now / 1_000_000) }

    init(configuration: ClusterLink.Configuration, handlers: ClusterLink.Handlers, broker: any ClusterBroker,
         clock: @escaping () -> Int64 = { Self.milliseconds }) {
        self.configuration = configuration
        self.handlers = handlers
        self.broker = broker
        self.clock = clock
        reported.counters = PresenceCounters(maxKeys: configuration.maxKeys)
        lastRead = clock()
        nextRefresh = lastRead
    }

    mutating func run(_ owner: ClusterLink) {
        while turn(owner.take()) {
            if !hasNewsWaiting { wait(owner, until: min(nextRefresh, nextMinutesRead)) }
        }
    }

    /// News heard is read at once, without waiting on the broker's descriptor again.
    var hasNewsWaiting: Bool { othersAnnounced || answersAnnounced || claimsAnnounced }

    /// One pass: what the node handed over goes out, what the others said comes in. False
    /// once the node is stopping (its row has then left).
    mutating func turn(_ outbox: ClusterLink.Outbox) -> Bool {
        if let counters = outbox.counters { mine = (counters.encoded(), outbox.updatedAt) }
        claims += outbox.claims
        claimsTaken = max(claimsTaken, outbox.claimBatch)
        if claims.count > ClusterLink.maxPendingClaims { claims.removeFirst(claims.count - ClusterLink.maxPendingClaims) }
        minutes.merge(outbox.minutes) { $1 }
        // Asked and answered once: nobody waits for them past a moment.
        let questions = outbox.questions, answers = outbox.answers
        if outbox.stopping {
            // Best effort: a row left behind goes stale within a few intervals anyway.
            broker.leave()
            return false
        }
        // The row is written when the counts changed and every interval (to stay fresh);
        // the others are read when one announced news and every interval.
        var writeRow = outbox.counters != nil
        var readRows = othersAnnounced
        othersAnnounced = false
        let now = clock()
        if now >= nextRefresh {
            writeRow = true
            readRows = true
            nextRefresh = now + configuration.interval
        }
        do throws(ClusterBrokerFailure) {
            if try broker.attach() {
                announced = nil
                if listenedBefore { handlers.reconnected() }
                claimsAnnounced = true  // what was claimed meanwhile
                listenedBefore = true
            }
            if try hear(broker.news()) { readRows = true }
            for (id, query) in questions { try broker.ask(id, query) }
            if !answers.isEmpty { try broker.answer(answers) }
            if answersAnnounced {
                answersAnnounced = false
                let answers = try broker.takeAnswers()
                if !answers.isEmpty { handlers.answered(answers) }
            }
            if writeRow, let mine {
                try broker.refresh(ClusterNodeRow(node: configuration.nodeID, counters: mine.counters, changedAt: mine.updatedAt),
                                   announce: announced != mine.counters)
                announced = mine.counters
            }
            // Ours first, then theirs: a session both took meanwhile stays with the later
            // claim, and this node lets go only of what it claimed before reading theirs.
            if !claims.isEmpty {
                try broker.claim(claims)
                claims = []
            }
            claimsWritten = claimsTaken
            if claimsAnnounced { try readClaims() }
            if readRows { try readOthers() }
            if !minutes.isEmpty {
                try broker.record(minutes.values.sorted { $0.minute < $1.minute })
                minutes = [:]
            }
            if now >= nextMinutesRead {
                try readMinutes()
                nextMinutesRead = now + configuration.minutesInterval
            }
            if now >= nextCleanup {
                try broker.forget(claimsKept: configuration.idleTimeout, answersKept: Self.answersKept, minutesKept: configuration.minutesKept)
                nextCleanup = now + Self.cleanupInterval
            }
            // News that came in with those answers: handled now, and a presence one read at once.
            if try hear(broker.news()) { othersAnnounced = true }
            if outage {
                outage = false
                log.notice("cluster link: reachable again")
            }
        } catch {
            broker.detach()
            if !outage {
                outage = true
                log.error("cluster link: \(error); this node's sellers see its own sessions only until it is back")
            }
            // The others' rows can no longer be known fresh.
            if clock() - lastRead > configuration.freshness {
                report(.unknown(maxKeys: configuration.maxKeys, updatedAt: reported.updatedAt))
            }
            nextRefresh = min(nextRefresh, clock() + 1000)
        }
        return true
    }

    /// The other nodes' claims since the last read (all of them, the first time: a node
    /// restarted on its snapshot lets go what was taken while it was away).
    private mutating func readClaims() throws(ClusterBrokerFailure) {
        claimsAnnounced = false
        while true {
            let read = try broker.claims(after: lastClaimSeq, limit: Self.claimsRead)
            if let last = read.last?.seq { lastClaimSeq = last }
            if !read.isEmpty { handlers.released(read.map(\.session), claimsWritten) }
            if read.count < Self.claimsRead { return }
        }
    }

    /// The other nodes' minutes written since the last read (all the broker keeps, the first time).
    private mutating func readMinutes() throws(ClusterBrokerFailure) {
        while true {
            let read = try broker.minutes(after: lastMinuteSeq, limit: Self.minutesRead)
            if let last = read.last?.seq { lastMinuteSeq = last }
            if !read.isEmpty { handlers.minutes(read.map { ClusterLink.NodeMinute(node: $0.node, point: $0.point) }) }
            if read.count < Self.minutesRead { return }
        }
    }

    private mutating func readOthers() throws(ClusterBrokerFailure) {
        let rows = try broker.rows()
        lastRead = clock()
        report(ClusterLink.Others(summing: rows, freshness: configuration.freshness, maxKeys: configuration.maxKeys))
    }

    private mutating func report(_ others: ClusterLink.Others) {
        guard others != reported else { return }
        reported = others
        handlers.othersChanged(others)
    }

    /// Hands on what the other nodes said (balances, erasures, questions, news for the
    /// rooms) and notes what to read; true if another node announced new counts. What this
    /// node said itself comes back too, and is left out.
    private mutating func hear(_ news: [ClusterNews]) -> Bool {
        var balances: [ClusterLink.BalanceNotice] = []
        var othersChanged = false, problems = false, paymentErrors = false
        var alerts: [Int64] = []
        var asked: [ClusterQuery.Asked] = []
        for item in news where item.sender != configuration.nodeID {
            switch item {
            case .balance(let notice): balances.append(notice)
            case .presence: othersChanged = true
            case .claims: claimsAnnounced = true
            case .erased(_, let key): handlers.erased(key)
            case .asked(let question): asked.append(question)
            case .answers(let asker): if asker == configuration.nodeID { answersAnnounced = true }
            case .paymentErrors: paymentErrors = true
            case .problems: problems = true
            case .alert(_, let id): alerts.append(id)
            }
        }
        if !balances.isEmpty { handlers.balances(balances) }
        if !asked.isEmpty { handlers.asked(asked) }
        if problems || paymentErrors || !alerts.isEmpty { handlers.news(problems, alerts, paymentErrors) }
        return othersChanged
    }

    private func wait(_ owner: ClusterLink, until deadline: Int64) {
        var fds = [pollfd(fd: owner.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
        if let descriptor = broker.descriptor { fds.append(pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)) }
        let timeout = Int32(clamping: max(0, deadline - clock()))
        _ = poll(&fds, nfds_t(fds.count), timeout)
    }
}
