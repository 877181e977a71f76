// The shop's day (issue 32): what writing one minute of rollups costs the money writer.
// A `PresenceHub` on a manual clock takes one busy minute of a shop's beacons (SESSIONS
// sessions, each a start with a referrer and UTM tags, a device, 3–5 page visits, 1–2
// events with a prop, an engaged heartbeat, some checkouts, payments and exits; 3 custom
// funnels of 4 steps), and its `takeRollups()` are written with `RecordsStore.addRollups`
// in one transaction each (`BEGIN IMMEDIATE … COMMIT`, as the writer's group commit does):
//   whole: the minute's counts taken once (an hour's `--rollup-interval` would);
//   10s:   taken every 10 s (the default `--rollup-interval`): 6 takes, 6 transactions.
// Each is timed on an empty database (a new one per run) and on one holding DAYS days of
// rows (minute rows for the last 48 h, the default `--rollup-minutes-retention`; hour and
// day rows for every day), each run writing the next minute.
// usage: rollup-bench [--sessions 100000] [--runs 7] [--days 30] [--dir /tmp/rollup-bench]
//                     [--pg 'postgresql://postgres@/DBNAME?host=…&port=…'] [--no-sqlite]
import Glibc
import Hub
import Records

func nowNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func ms(_ ns: UInt64) -> Double { Double(ns) / 1e6 }
func fmt(_ x: Double, _ digits: Int = 1) -> String {  // no Foundation here
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let n = Int((abs(x) * scale).rounded())
    let whole = String(n / Int(scale)), frac = String(n % Int(scale))
    return (x < 0 ? "-" : "") + (digits == 0 ? whole : whole + "." + String(repeating: "0", count: digits - frac.count) + frac)
}
func replacing(_ text: String, _ word: String, with other: String) -> String {
    guard let range = text.firstRange(of: word) else { return text }
    return text[..<range.lowerBound] + other + text[range.upperBound...]
}
func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

struct Rng {  // SplitMix64: the same minute every run
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
    /// Skewed towards the first of `n` (a few names take most of the traffic).
    mutating func skewed(_ n: Int) -> Int { min(n - 1, Int(Double(n) * pow(Double(next() >> 11) / Double(1 << 53), 2))) }
}

// MARK: arguments

struct Options {
    var sessions = 100_000, runs = 7, days = 30, dir = "/tmp/rollup-bench", pgTemplate: String?, sqlite = true

    static func parse() -> Options {
        var o = Options()
        var argv = CommandLine.arguments.dropFirst()
        while let arg = argv.popFirst() {
            switch arg {
            case "--sessions": o.sessions = Int(argv.popFirst()!)!
            case "--runs": o.runs = Int(argv.popFirst()!)!
            case "--days": o.days = Int(argv.popFirst()!)!
            case "--dir": o.dir = argv.popFirst()!
            case "--pg": o.pgTemplate = argv.popFirst()!
            case "--no-sqlite": o.sqlite = false
            default: fatalError("unknown argument \(arg)")
            }
        }
        return o
    }
}
let options = Options.parse()
let sessions = options.sessions, runs = options.runs, days = options.days, dir = options.dir

// MARK: the shop's minute

let referrers = (0..<50).map { ["google.com", "bing.com", "facebook.com", "instagram.com", "t.co", "news.example"][$0 % 6] + ($0 < 6 ? "" : "-\($0)") }
let utmSources = (0..<20).map { "src\($0)" }
let utmMediums = ["cpc", "email", "social", "affiliate", "display"]
let utmCampaigns = (0..<20).map { "campaign-\($0)" }
let userAgents: [(String, Double)] = [  // (User-Agent, share)
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", 0.30),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", 0.13),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", 0.22),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36", 0.25),
    ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", 0.07),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 0.03),
]
/// 8 page types; a path of each type out of ~200.
let pageTypes: [(type: PageType, paths: Int)] = [
    (.homepage, 1), (.category, 40), (.offer, 20), (.product, 100), ("search", 10), ("cart", 1), ("account", 8), ("blog", 20),
]
let eventNames = ["add_to_cart", "view_item", "search", "add_to_wishlist", "newsletter_signup", "share", "select_variant", "apply_coupon",
                  "remove_from_cart", "video_play"]
let funnels = [
    CustomFunnel(id: "buy", name: "Buy", steps: [.page(type: .homepage, identifier: nil), .page(type: .product, identifier: nil), .event(name: "add_to_cart"),
                                                   .page(type: .checkout, identifier: nil)]),
    CustomFunnel(id: "browse", name: "Browse", steps: [.page(type: .category, identifier: nil), .page(type: .product, identifier: nil), .page(type: "cart", identifier: nil),
                                                         .page(type: .checkout, identifier: nil)]),
    CustomFunnel(id: "offer", name: "Offer", steps: [.page(type: .offer, identifier: nil), .event(name: "add_to_cart"), .page(type: .checkout, identifier: nil),
                                                      .page(type: .payment, identifier: nil)]),
]

enum Action {
    case start(ClientInfo, PresenceHub.Origin?)
    case page(PageType, String)
    case event(String, [(String, String)])
    case heartbeat(Int64)
    case checkout, payment, paid, failed, end
}

/// Every beacon of the minute, in time order: (milliseconds into the minute, session, what).
func minuteOfBeacons() -> [(at: Int32, session: Int32, action: Action)] {
    var rng = Rng(state: 32)
    var beacons: [(at: Int32, session: Int32, action: Action)] = []
    beacons.reserveCapacity(sessions * 10)
    let share = userAgents.map(\.1)
    for s in 0..<sessions {
        let session = Int32(s)
        var at = Int32(rng.int(40_000))  // starts in the first 40 s, its pages ~2–5 s apart
        func add(_ action: Action) {
            beacons.append((min(at, 59_999), session, action))
            at += Int32(2_000 + rng.int(3_000))
        }
        var pick = Double(rng.next() >> 11) / Double(1 << 53), ua = 0
        while ua < share.count - 1 && pick >= share[ua] { pick -= share[ua]; ua += 1 }
        let referrer = rng.chance(0.7) ? referrers[rng.skewed(referrers.count)] : nil
        let tagged = rng.chance(0.35)
        let origin = PresenceHub.Origin(referrerHost: referrer, utmSource: tagged ? utmSources[rng.skewed(utmSources.count)] : nil,
                                        utmMedium: tagged ? utmMediums[rng.int(utmMediums.count)] : nil,
                                        utmCampaign: tagged ? utmCampaigns[rng.skewed(utmCampaigns.count)] : nil)
        add(.start(ClientInfo(ip: "10.\(s >> 16 & 255).\(s >> 8 & 255).\(s & 255)", userAgent: userAgents[ua].0), origin.isEmpty ? nil : origin))
        let pages = 3 + rng.int(3)
        let eventAfter = (rng.int(pages), rng.chance(0.5) ? rng.int(pages) : -1)
        for p in 0..<pages {
            let (type, paths) = p == 0 ? pageTypes[rng.int(4)] : pageTypes[rng.skewed(pageTypes.count)]
            let path = paths == 1 ? "/\(type.rawValue)" : "/\(type.rawValue)/\(type.rawValue.prefix(3))-\(rng.skewed(paths))"
            add(.page(type, "https://shop.example\(path)?utm_source=x#top"))
            for e in [eventAfter.0, eventAfter.1] where e == p {
                let name = eventNames[rng.skewed(eventNames.count)]
                add(.event(name, [("variant", ["red", "blue", "green", "s", "m"][rng.int(5)])]))
            }
        }
        add(.heartbeat(Int64(5_000 + rng.int(20_000))))
        if rng.chance(0.08) {
            add(.checkout)
            if rng.chance(0.6) {
                add(.payment)
                if rng.chance(0.8) { add(.paid) } else if rng.chance(0.5) { add(.failed) }
            }
        }
        if rng.chance(0.3) { add(.end) }
    }
    beacons.sort { ($0.at, $0.session) < ($1.at, $1.session) }
    return beacons
}

/// The minute played into a hub; its counts taken every `takeEvery` ms (and at the end).
/// Returns the takes and the hub's time spent in `takeRollups()`.
func play(_ beacons: [(at: Int32, session: Int32, action: Action)], startMinute: Int64, takeEvery: Int32) throws -> (takes: [[RollupCounts.Minute]], takeNs: UInt64, beaconNs: UInt64) {
    let clock = ManualClock(startMinute * 60_000)
    let hub = PresenceHub(clock: clock)
    hub.setFunnels(funnels)
    var takes: [[RollupCounts.Minute]] = [], takeNs: UInt64 = 0, beaconNs: UInt64 = 0
    var nextTake = takeEvery
    func take() {
        let t = nowNanoseconds()
        let minutes = hub.takeRollups()
        takeNs += nowNanoseconds() - t
        if !minutes.isEmpty { takes.append(minutes) }
    }
    let t0 = nowNanoseconds()
    var taking: UInt64 = 0
    for (at, s, action) in beacons {
        while at >= nextTake {
            clock.nowMilliseconds = startMinute * 60_000 + Int64(nextTake)
            let before = takeNs
            take()
            taking += takeNs - before
            nextTake += takeEvery
        }
        clock.nowMilliseconds = startMinute * 60_000 + Int64(at)
        let id = "s\(s)"
        switch action {
        case .start(let client, let origin): try hub.startSession(id: id, client: client, origin: origin)
        case .page(let type, let url): try hub.pageVisit(sessionId: id, pageType: type, url: url)
        case .event(let name, let props): try hub.event(sessionId: id, name: name, props: props)
        case .heartbeat(let engaged): try hub.heartbeat(sessionId: id, engagedMilliseconds: engaged)
        case .checkout: try hub.checkoutStart(sessionId: id, items: "2", totalAmount: "49.90", paymentMethod: "card")
        case .payment: try hub.paymentStart(sessionId: id, paymentMethod: "card", amount: "49.90")
        case .paid: try hub.paymentSuccess(sessionId: id, reference: "r\(s)", amount: "49.90")
        case .failed: _ = try hub.paymentError(sessionId: id, code: "card_declined", message: "declined", details: nil, email: nil, phone: nil)
        case .end: hub.endSession(id)
        }
    }
    clock.nowMilliseconds = startMinute * 60_000 + 59_999
    take()
    beaconNs = nowNanoseconds() - t0 - taking
    return (takes, takeNs, beaconNs)
}

let minute0 = Int64(1_795_000_020_000 / 60_000)  // a minute's start, 2026-11-18
let beacons = minuteOfBeacons()
let whole = try play(beacons, startMinute: minute0, takeEvery: 60_000)
let tenSeconds = try play(beacons, startMinute: minute0, takeEvery: 10_000)
let deltas = whole.takes.flatMap { $0 }.flatMap(\.counts)
let tenDeltas = tenSeconds.takes.map { $0.flatMap(\.counts) }
var byMetric: [String: Int] = [:]
for d in deltas { byMetric[d.metric.hasPrefix(RollupMetric.funnelPrefix) ? "funnel:*" : d.metric, default: 0] += 1 }
let pageviews = deltas.first { $0.metric == "pageviews" }?.value ?? 0
print("minute sessions=\(sessions) beacons=\(beacons.count) pageviews=\(pageviews) hub_beacons_ms=\(fmt(ms(whole.beaconNs))) (\(fmt(Double(whole.beaconNs) / Double(beacons.count), 0)) ns/beacon)")
print("whole: takes=1 rows=\(deltas.count) statements=\(deltas.count * 3) take_ms=\(fmt(ms(whole.takeNs), 2))")
print("10s:   takes=\(tenDeltas.count) rows=\(tenDeltas.map(\.count)) sum=\(tenDeltas.map(\.count).reduce(0, +)) statements=\(tenDeltas.map(\.count).reduce(0, +) * 3) take_ms=\(fmt(ms(tenSeconds.takeNs), 2))")
print("rows by metric: " + byMetric.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))

// MARK: writing it

func toDeltas(_ counts: [(metric: String, key: String, value: Int64)]) -> [RecordsStore.RollupDelta] {
    counts.map { RecordsStore.RollupDelta(metric: $0.metric, key: $0.key, value: $0.value) }
}
let wholeDeltas = toDeltas(deltas)
let tenDeltasR = tenDeltas.map(toDeltas)

/// One minute's rows written as the writer would; milliseconds.
func write(_ store: RecordsStore, minute: Int64, tenSecondTakes: Bool) throws -> Double {
    let t = nowNanoseconds()
    if tenSecondTakes {
        for part in tenDeltasR {
            try store.inTransaction { () throws(RecordsFailure) in try store.addRollups(minute: minute, part) }
        }
    } else {
        try store.inTransaction { () throws(RecordsFailure) in try store.addRollups(minute: minute, wholeDeltas) }
    }
    return ms(nowNanoseconds() - t)
}

/// DAYS days of rows before `end` (a minute): one minute an hour for every day (its hour
/// and day rows), then every minute of the last 48 h; minute rows older than 48 h go.
func prefill(_ store: RecordsStore, end: Int64) throws -> (seconds: Double, firstMinuteRow: Int64) {
    let t = nowNanoseconds()
    let first = end - Int64(days) * 1440, recent = max(first, end - 2 * 1440)
    var minutes: [Int64] = stride(from: first, to: recent, by: 60).map { $0 }
    minutes += (recent..<end).map { $0 }
    for chunk in stride(from: 0, to: minutes.count, by: 60) {
        try store.inTransaction { () throws(RecordsFailure) in
            for m in minutes[chunk..<min(chunk + 60, minutes.count)] { try store.addRollups(minute: m, wholeDeltas) }
        }
    }
    try store.pruneRollups(.minute, before: recent * 60_000)
    return (Double(nowNanoseconds() - t) / 1e9, recent)
}

func rowCounts(_ db: SQLConnection) throws -> String {
    try db.query("SELECT grain, count(*) FROM rollups GROUP BY grain ORDER BY grain", []).map { "\($0[0].text ?? "")=\($0[1].integer ?? 0)" }.joined(separator: " ")
}

struct Backend {
    var name: String
    var fresh: (String) throws -> (RecordsStore, SQLConnection)  // a new, empty database named so
}

var backends: [Backend] = []
if options.sqlite {
    backends.append(Backend(name: "sqlite") { name in
        mkdir(dir, 0o755)
        let path = "\(dir)/\(name).db"
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
        return (try RecordsStore(path: path), try SQLiteDatabase(path: path))
    })
}
if let pgTemplate = options.pgTemplate {
    let admin = try PostgresConnection(url: replacing(pgTemplate, "DBNAME", with: "postgres"))
    backends.append(Backend(name: "postgres") { name in
        try admin.execute("DROP DATABASE IF EXISTS rb_\(name)")
        try admin.execute("CREATE DATABASE rb_\(name)")
        let url = replacing(pgTemplate, "DBNAME", with: "rb_\(name)")
        return (try RecordsStore(connection: try PostgresConnection(url: url)), try PostgresConnection(url: url))
    })
}

for backend in backends {
    for tenSecond in [false, true] {
        let mode = tenSecond ? "10s" : "whole"
        // Empty: a new database per run.
        var empty: [Double] = []
        for run in 0..<runs {
            let (store, _) = try backend.fresh("empty\(run)")
            empty.append(try write(store, minute: minute0, tenSecondTakes: tenSecond))
        }
        print("write db=\(backend.name) takes=\(mode) state=empty runs=\(empty.map { fmt($0) }) median_ms=\(fmt(median(empty))) share_of_writer=\(fmt(median(empty) / 600, 3))%")
    }
    // DAYS days of rows, then each run writes the next minute.
    let (store, reader) = try backend.fresh("days")
    let (seconds, firstMinuteRow) = try prefill(store, end: minute0)
    print("prefill db=\(backend.name) days=\(days) seconds=\(fmt(seconds)) rows: \(try rowCounts(reader))")
    var next = minute0
    for tenSecond in [false, true] {
        let mode = tenSecond ? "10s" : "whole"
        var full: [Double] = []
        for _ in 0..<runs {
            full.append(try write(store, minute: next, tenSecondTakes: tenSecond))
            next += 1
        }
        print("write db=\(backend.name) takes=\(mode) state=\(days)d runs=\(full.map { fmt($0) }) median_ms=\(fmt(median(full))) share_of_writer=\(fmt(median(full) / 600, 3))%")
    }
    // Once an hour the writer also forgets minute rows past --rollup-minutes-retention: an
    // hour of them, the oldest, each run (in its own transaction here).
    var prunes: [Double] = [], pruned = 0
    for run in 0..<runs {
        let t = nowNanoseconds()
        try store.inTransaction { () throws(RecordsFailure) in
            pruned = try store.pruneRollups(.minute, before: (firstMinuteRow + Int64(run + 1) * 60) * 60_000)
        }
        prunes.append(ms(nowNanoseconds() - t))
    }
    print("prune db=\(backend.name) state=\(days)d an_hour_of_minute_rows=\(pruned) runs=\(prunes.map { fmt($0) }) median_ms=\(fmt(median(prunes)))")
}
