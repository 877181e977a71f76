// The hub at a million sessions: the cost of one idle sweep when 1% expire (against a
// scan of the whole table, what a sweep without the activity list would do), and the
// memory each tracked session takes.
import Glibc
import Hub

func nowNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func rssKiB() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, 256, file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmRSS:") { return Int(text.split(separator: " ")[1]) ?? 0 }
    }
    return 0
}

let sessions = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
let expiringShare = 0.01
let pages = ["homepage", "category", "offer", "product", "checkout", "payment"]
let userAgents = (0..<20).map { "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/\(120 + $0).0.0.0 Safari/537.36" }

let clock = ManualClock()
let hub = PresenceHub(clock: clock)
let idle = hub.configuration.idleTimeout
let expiring = Int(Double(sessions) * expiringShare)

let rssBefore = rssKiB()
let fillStart = nowNanoseconds()
for i in 0..<sessions {
    if i == expiring { clock.advance(milliseconds: idle) }  // the rest are fresh at sweep time
    let id = "s_\(String(i, radix: 16))_\(String(i &* 2_654_435_761 % 1_000_000_007, radix: 16))"
    let client = ClientInfo(ip: "10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)", userAgent: String(userAgents[i % 20].utf8.map { Character(Unicode.Scalar($0)) }))
    let page = pages[i % pages.count]
    try hub.pageVisit(sessionId: id, pageType: PageType(rawValue: page), identifier: page == "category" ? "cat-\(i % 50)" : page == "offer" ? "offer-\(i % 10)" : nil,
                  url: "https://shop.example/\(page)/\(i % 1000)", client: client)
}
let fillSeconds = Double(nowNanoseconds() - fillStart) / 1e9
let rssAfter = rssKiB()
print("sessions=\(sessions) fill_s=\(String(format: fillSeconds)) beacons_per_s=\(Int(Double(sessions) / fillSeconds))")
print("memory rss_before_kib=\(rssBefore) rss_after_kib=\(rssAfter) bytes_per_session=\((rssAfter - rssBefore) * 1024 / sessions)")

// What the hub's loop pays for a snapshot: the capture (encoding and writing run on the
// snapshot writer's thread); the encoding is timed for comparison.
let captureStart = nowNanoseconds()
let snapshot = hub.snapshot()
let captureNs = nowNanoseconds() - captureStart
let encodeStart = nowNanoseconds()
let encodedBytes = snapshot.encoded().count
print("snapshot capture_ms=\(String(format: Double(captureNs) / 1e6)) encode_ms=\(String(format: Double(nowNanoseconds() - encodeStart) / 1e6)) bytes=\(encodedBytes)")

// The peer: what a sweep costs if it has to look at every session.
clock.advance(milliseconds: 1)
let cutoff = clock.nowMilliseconds - idle
let scanStart = nowNanoseconds()
var wouldExpire = 0
for session in snapshot.sessions where session.isActive && session.lastActivity < cutoff { wouldExpire += 1 }
let scanNs = nowNanoseconds() - scanStart

let sweepStart = nowNanoseconds()
let expired = hub.sweep()
let sweepNs = nowNanoseconds() - sweepStart
precondition(expired == expiring && wouldExpire == expiring, "expected \(expiring) to expire, sweep ended \(expired), scan found \(wouldExpire)")
print("sweep expired=\(expired) of=\(sessions) sweep_ms=\(String(format: Double(sweepNs) / 1e6)) full_scan_ms=\(String(format: Double(scanNs) / 1e6)) live_after=\(hub.counters.totalActive)")

// A sweep with nothing to expire: the common case every 30 s.
let emptyStart = nowNanoseconds()
let none = hub.sweep()
print("sweep_nothing_due expired=\(none) sweep_us=\(String(format: Double(nowNanoseconds() - emptyStart) / 1e3))")

// Cluster mode: every publish shows this node's counts plus the other nodes' (one merge of
// their maps, as many entries as --max-tracked-keys allows), against the encoding of the
// same counts for the node's row. Two nodes' maps, half their names shared.
for keys in [100, 10_000, 100_000] {
    func counters(offset: Int) throws -> PresenceCounters {
        var configuration = PresenceHub.Configuration()
        configuration.maxTrackedKeys = keys
        let node = PresenceHub(clock: ManualClock(), configuration: configuration)
        for i in 0..<(keys - 10) {
            try node.pageVisit(sessionId: "k\(i)", pageType: .category, identifier: "cat-\(i + offset)")
        }
        return node.counters
    }
    let mine = try counters(offset: 0), others = try counters(offset: keys / 2)
    let repetitions = max(3, 1_000_000 / keys)
    var total = 0
    let mergeStart = nowNanoseconds()
    for _ in 0..<repetitions {
        var shown = mine
        shown.add(others)
        total &+= shown.totalActive
    }
    let mergeNs = Double(nowNanoseconds() - mergeStart) / Double(repetitions)
    let encodeStart = nowNanoseconds()
    for _ in 0..<repetitions { total &+= mine.encoded().count }
    let encodeNs = Double(nowNanoseconds() - encodeStart) / Double(repetitions)
    precondition(total != 0)
    print("cluster_merge keys=\(keys) merge_us=\(String(format: mergeNs / 1e3)) encode_row_us=\(String(format: encodeNs / 1e3))")
}

extension String {
    init(format value: Double) {
        let scaled = (value * 1000).rounded() / 1000
        self = String(scaled)
    }
}
