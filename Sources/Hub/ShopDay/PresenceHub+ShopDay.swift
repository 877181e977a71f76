/// The shop's day, counted as beacons arrive (issue 32): what each one adds to the minute's
/// rollups. Bots are counted as bots and by device, and nowhere else.
extension PresenceHub {
    /// Where a session came from, as its start beacon says (checked at the edge), kept on
    /// the session as it came.
    public typealias Origin = SessionDay.Origin

    /// The minute the hub's clock is in (read after `now()`).
    var rollupMinute: Int64 { MetricsHistory.minute(of: lastNow) }

    /// The counts not yet written, minute by minute; they are forgotten here.
    public func takeRollups() -> [RollupCounts.Minute] {
        _ = now()
        return rollups.take()
    }

    /// Counts that could not be written, to go again with the next.
    public func giveBackRollups(_ minutes: [RollupCounts.Minute]) {
        rollups.giveBack(minutes)
    }

    /// The custom funnels to count from now on; sessions' progress under others starts again.
    public func setFunnels(_ funnels: [CustomFunnel]) {
        funnelSet.replace(with: funnels)
    }

    public var funnels: [CustomFunnel] { funnelSet.funnels }

    /// A named event from the storefront (`LiveHub.track`), with its properties (checked at the edge).
    public func event(sessionId: String, name: String, props: [(String, String)] = [], client: ClientInfo = ClientInfo()) throws(TableFull) {
        let slot = try activeSlot(for: sessionId, client: client)
        guard !table[slot].day.isBot else { return }
        let minute = rollupMinute
        rollups.add(.events, name, minute: minute)
        if table[slot].day.firstToday(SessionDay.mark(1, name)) { rollups.add(.eventSessions, name, minute: minute) }
        for (key, value) in props { rollups.add(.eventProps, "\(name)|\(key)=\(value)", minute: minute) }
        advanceFunnels(slot) { $0.matches(event: name) }
    }

    /// A heartbeat that says how long the page was seen (visible and focused) since the last:
    /// credited to the page the session is on, at most the time since the last credit.
    func creditEngaged(_ slot: Int32, milliseconds: Int64) {
        let time = lastNow
        let since = table[slot].day.engagedSince
        table[slot].day.engagedSince = time
        guard milliseconds > 0, !table[slot].day.isBot, let page = table[slot].page else { return }
        // A second of slack for the browser's clock and the beacon's time in flight.
        let credited = min(milliseconds, max(0, time - since) + 1_000)
        rollups.add(.engagedMilliseconds, page.pageType.rawValue, credited, minute: rollupMinute)
    }

    /// A page seen (a visit, a reload, or a checkout or payment step's page).
    func countPage(_ slot: Int32, _ type: PageType, identifier: String?, url: String?) {
        guard !table[slot].day.isBot else { return }
        let minute = rollupMinute
        rollups.add(.pageviews, minute: minute)
        let mark: UInt32
        if let tile = type.tileIndex {
            rollups.addTileView(tile, minute: minute)
            mark = Self.tileMarks[tile]
        } else {
            rollups.add(.pageviewsByType, type.rawValue, minute: minute)
            mark = SessionDay.mark(0, type.rawValue)
        }
        if let url, let path = Self.path(of: url) { rollups.add(.pageviewsByPath, path, minute: minute) }
        if table[slot].day.firstToday(mark) { rollups.add(.pageVisitors, type.rawValue, minute: minute) }
        advanceFunnels(slot) { $0.matches(page: type, identifier: identifier) }
    }

    /// A session started or came back: counted, and its device read once.
    func countStart(_ slot: Int32, client: ClientInfo, isNew: Bool, origin: Origin?) {
        if isNew { table[slot].day.device = DeviceClass(userAgent: client.userAgent) }
        if let origin { applyOrigin(slot, origin) }
        table[slot].day.engagedSince = lastNow
        if !table[slot].day.isBot { rollups.add(.sessions, minute: rollupMinute) }
    }

    /// Where the session came from, if the beacon says (a later start beacon of the same
    /// session, from an internal page, says nothing and keeps it).
    func applyOrigin(_ slot: Int32, _ origin: Origin) {
        guard !origin.isEmpty else { return }
        table[slot].day.origin = origin
    }

    /// The first beacon of a session on a day counts it as that day's visitor (or bot), with
    /// its device and where it came from.
    @inline(__always)
    func countDay(_ slot: Int32) {
        let today = Int32(truncatingIfNeeded: RollupCounts.day(ofMinute: rollupMinute))
        guard table[slot].day.countedDay != today else { return }
        countNewDay(slot, today)
    }

    private func countNewDay(_ slot: Int32, _ today: Int32) {
        let minute = rollupMinute
        table[slot].day.countedDay = today
        table[slot].day.marks = SessionDay.MarkSet()
        let day = table[slot].day
        rollups.add(.devices, day.device.name, minute: minute)
        guard !day.isBot else {
            rollups.add(.bots, minute: minute)
            return
        }
        rollups.add(.visitors, minute: minute)
        rollups.add(.sources, day.source ?? "(direct)", minute: minute)
        if let value = day.utmSource { rollups.add(.utmSources, value, minute: minute) }
        if let value = day.utmMedium { rollups.add(.utmMediums, value, minute: minute) }
        if let value = day.utmCampaign { rollups.add(.utmCampaigns, value, minute: minute) }
    }

    /// A session ended here (not handed to another node): where it left, and whether it left
    /// a checkout unpaid.
    func countExit(_ slot: Int32) {
        let session = table[slot]
        guard !session.day.isBot else { return }
        let minute = rollupMinute
        if let page = session.page { rollups.add(.exits, page.pageType.rawValue, minute: minute) }
        switch session.checkoutStatus {
        case .started: rollups.add(.abandoned, "checkout", minute: minute)
        case .payment: rollups.add(.abandoned, "payment", minute: minute)
        case .failed: rollups.add(.abandoned, "payment_error", minute: minute)
        case .completed, nil: break
        }
    }

    func countRollup(_ metric: RollupMetric, _ slot: Int32) {
        guard !table[slot].day.isBot else { return }
        rollups.add(metric, minute: rollupMinute)
    }

    private func advanceFunnels(_ slot: Int32, _ matches: (CustomFunnel.Step) -> Bool) {
        guard !funnelSet.funnels.isEmpty else { return }
        let funnels = funnelSet.funnels
        if table[slot].day.funnelGeneration != funnelSet.generation || table[slot].day.funnelSteps.count != funnels.count {
            table[slot].day.funnelGeneration = funnelSet.generation
            table[slot].day.funnelSteps = Array(repeating: 0, count: funnels.count)
        }
        let minute = rollupMinute
        for (index, funnel) in funnels.enumerated() {
            let reached = Int(table[slot].day.funnelSteps[index])
            guard reached < funnel.steps.count, matches(funnel.steps[reached]) else { continue }
            table[slot].day.funnelSteps[index] += 1
            rollups.addFunnelStep(funnel.id, step: reached + 1, minute: minute)
        }
    }

    /// The marks of the page types with tiles, made once.
    static let tileMarks = PageType.tiles.map { SessionDay.mark(0, $0.rawValue) }

    /// A page URL's path: no scheme, host, query or fragment; at most 256 bytes.
    static func path(of url: String) -> String? {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") {
            rest = rest[scheme.upperBound...]
            guard let slash = rest.firstIndex(of: "/") else { return "/" }
            rest = rest[slash...]
        }
        if let end = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        guard !rest.isEmpty else { return "/" }
        guard rest.utf8.count > 256 else { return String(rest) }
        // Cut at a character's start: a continuation byte (0b10xxxxxx) is never one.
        var end = rest.utf8.index(rest.utf8.startIndex, offsetBy: 256)
        while end > rest.utf8.startIndex && rest.utf8[end] & 0xC0 == 0x80 { end = rest.utf8.index(before: end) }
        return String(rest[..<end])
    }
}
