import Hub
import Money
import Reactor

/// The shop's day, on the hub's loop: every `--rollup-interval` the counts of what happened
/// go to the money engine's writer (`WriteRollups`, with the writer's other work: nothing
/// here waits for it), and the custom funnels are read again (another node, or the API on
/// another loop, may have changed them).
extension PresenceService {
    func startShopDay() {
        let interval = context.configuration.shopDay.flushInterval
        loop.scheduleRepeating(everyNanoseconds: interval.nanoseconds) { [unowned self] in flushRollups() }
        readFunnels()
    }

    private var loop: EventLoop { context.loop }

    /// Hands the counts so far to the writer; counts it could not write come back
    /// (`.rollupsNotWritten`) and go with the next. Once an hour, old rows go too.
    func flushRollups() {
        readFunnels()
        let minutes = hub.takeRollups()
        guard !minutes.isEmpty else { return }
        let settings = context.configuration.shopDay
        let now = clock.nowMilliseconds
        var prune: (minutesBefore: Int64, hoursBefore: Int64)?
        let hour = now / 3_600_000
        if hour != lastRollupPruneHour {
            lastRollupPruneHour = hour
            prune = (now - settings.minuteRetention.milliseconds, now - settings.hourRetention.milliseconds)
        }
        let inbox = context.shared.hubInbox
        money.submit(WriteRollups(minutes, prune: prune)) { result in
            if case .failure = result { inbox.presence(.rollupsNotWritten(minutes)) }
        }
    }

    private func readFunnels() {
        let inbox = context.shared.hubInbox
        money.submit(ReadCustomFunnels()) { result in
            if case .success(let funnels) = result { inbox.presence(.funnelsRead(funnels)) }
        }
    }
}
